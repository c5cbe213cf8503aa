//! The spawned server on a real socket.

use super::*;

/// A minimal HTTP/1.1 exchange, enough to prove the spawned server answers on the socket
/// (blocking std I/O: the crate's tokio has no `io-util`).
async fn raw_exchange(addr: SocketAddr, request: String) -> std::io::Result<String> {
    use std::io::{Read, Write};
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(std::time::Duration::from_secs(10)))?;
        stream.write_all(request.as_bytes())?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response)?;
        Ok(String::from_utf8_lossy(&response).into_owned())
    })
    .await
    .map_err(std::io::Error::other)?
}

#[tokio::test]
async fn spawned_server_counts_hits_and_shuts_down() {
    let server = spawn(([127, 0, 0, 1], 0).into(), config(FaultSet::none()))
        .await
        .expect("bind");
    let addr = server.local_addr();
    assert_ne!(addr.port(), 0);
    assert_eq!(server.base_url(), format!("http://{addr}/api/v1"));
    assert_eq!(server.hits(), 0);

    let body = r#"{"name":"n","description":"d"}"#;
    let create = format!(
        "POST /api/v1/workspace/services/{SERVICE}/tokens/access HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let response = raw_exchange(addr, create).await.expect("exchange");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains(&format!("http://{addr}/api/v1/workspace/tokens/wstok_")));

    let stray = format!("GET /nowhere HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let response = raw_exchange(addr, stray).await.expect("exchange");
    assert!(response.starts_with("HTTP/1.1 404"), "{response}");
    assert_eq!(server.hits(), 2);

    server.shutdown().await;
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}
