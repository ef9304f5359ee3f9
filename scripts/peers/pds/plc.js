// A did:plc directory kept in memory (the real @did-plc/server), so the PDS never
// reaches the public directory.
const { PlcServer, Database } = require('@did-plc/server')
const port = parseInt(process.env.PLC_PORT || '2582', 10)
const server = PlcServer.create({ db: Database.mock(), port })
server.start().then(() => console.log(`plc listening on ${port}`))
const stop = async () => { await server.destroy(); process.exit(0) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
