//! One SMTP connection per sending worker: connect, EHLO, STARTTLS (required), AUTH.
//!
//! lettre's pooled transport writes the message and the closing `.` in two writes and
//! its sockets keep Nagle's algorithm on, so every message waits for the server's
//! delayed ACK (about 40 ms on Linux). Herald opens the TCP connection itself with
//! `TCP_NODELAY` and hands it to lettre's connection, which speaks the protocol.
//! Implicit TLS (port 465) goes through lettre's own connect, without that fix.

use super::{Config, Tls};
use lettre::transport::smtp::authentication::{Credentials, DEFAULT_MECHANISMS};
use lettre::transport::smtp::client::{AsyncSmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use std::time::Duration;

/// Why a connection could not be made. Nothing was sent on it.
#[derive(Debug)]
pub enum ConnectError {
    Tcp(std::io::Error),
    Timeout,
    Smtp(lettre::transport::smtp::Error),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::Tcp(e) => write!(f, "cannot connect: {e}"),
            ConnectError::Timeout => f.write_str("the server did not answer in time"),
            ConnectError::Smtp(e) => write!(f, "{}", super::send::redact(&e.to_string())),
        }
    }
}

impl ConnectError {
    /// A message for people, with what to check.
    pub fn explain(&self) -> String {
        match self {
            ConnectError::Tcp(e) => {
                format!("cannot connect: check `smtp_host`, `smtp_port` and `tls` ({e})")
            }
            ConnectError::Timeout => {
                "the server did not answer in time: check `smtp_host`, `smtp_port` and the network"
                    .into()
            }
            ConnectError::Smtp(e) => super::send::connection_problem(e),
        }
    }
}

pub struct Connector {
    host: String,
    port: u16,
    tls: Tls,
    params: Option<TlsParameters>,
    credentials: Option<Credentials>,
    timeout: Duration,
    hello: ClientId,
}

impl Connector {
    pub fn new(
        config: &Config,
        params: Option<TlsParameters>,
        credentials: Option<Credentials>,
        timeout: Duration,
    ) -> Connector {
        Connector {
            host: config.smtp_host.clone(),
            port: config.port(),
            tls: config.tls,
            params,
            credentials,
            timeout,
            hello: ClientId::default(),
        }
    }

    pub async fn connect(&self) -> Result<AsyncSmtpConnection, ConnectError> {
        tokio::time::timeout(self.timeout, self.connect_now())
            .await
            .map_err(|_| ConnectError::Timeout)?
    }

    async fn connect_now(&self) -> Result<AsyncSmtpConnection, ConnectError> {
        let mut conn = match (self.tls, &self.params) {
            (Tls::Tls, Some(params)) => AsyncSmtpConnection::connect_tokio1(
                (self.host.as_str(), self.port),
                Some(self.timeout),
                &self.hello,
                Some(params.clone()),
                None,
            )
            .await
            .map_err(ConnectError::Smtp)?,
            _ => {
                let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
                    .await
                    .map_err(ConnectError::Tcp)?;
                tcp.set_nodelay(true).map_err(ConnectError::Tcp)?;
                let mut conn =
                    AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello)
                        .await
                        .map_err(ConnectError::Smtp)?;
                if let (Tls::Starttls, Some(params)) = (self.tls, &self.params) {
                    conn.starttls(params.clone(), &self.hello)
                        .await
                        .map_err(ConnectError::Smtp)?;
                }
                conn
            }
        };
        if let Some(credentials) = &self.credentials {
            conn.auth(DEFAULT_MECHANISMS, credentials)
                .await
                .map_err(ConnectError::Smtp)?;
        }
        Ok(conn)
    }
}
