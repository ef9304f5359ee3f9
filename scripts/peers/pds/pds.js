// Starts @atproto/pds from its environment, as its official container does.
const pds = require('@atproto/pds')
const main = async () => {
  const env = pds.readEnv()
  const server = await pds.PDS.create(pds.envToCfg(env), pds.envToSecrets(env))
  await server.start()
  console.log(`pds listening on ${env.port}`)
  const stop = async () => { await server.destroy(); process.exit(0) }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
}
main().catch((e) => { console.error(e); process.exit(1) })
