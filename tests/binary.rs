//! Tests of the real `convoy` binary: its command line, and a clean exit
//! on SIGINT and SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_convoy");

/// `convoy --help` lists every flag and every backend name.
#[test]
fn help_lists_flags_and_backends() {
    let out = Command::new(BIN).arg("--help").output().expect("run convoy --help");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in ["--backend", "--port", "--bind", "--threads", "--databases", "--hz"] {
        assert!(text.contains(flag), "--help lacks {flag}:\n{text}");
    }
    for backend in convoy::keyspace::BACKENDS {
        assert!(text.contains(backend), "--help lacks backend {backend}:\n{text}");
    }
}

/// An unknown backend is refused at startup with a non-zero exit.
#[test]
fn unknown_backend_refused() {
    let out = Command::new(BIN).args(["--backend", "btree", "--port", "0"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'btree'"));
}

/// The binary serves on the port it reports, and exits 0 on SIGTERM and
/// on SIGINT, closing its clients.
#[test]
fn serves_then_exits_cleanly_on_signals() {
    for signal in ["-TERM", "-INT"] {
        let mut child = Command::new(BIN)
            .args(["--port", "0", "--backend", "papaya"])
            .stderr(Stdio::piped())
            .spawn()
            .expect("start convoy");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut line = String::new();
        stderr.read_line(&mut line).unwrap();
        let addr = line.split(" listening on ").nth(1).and_then(|r| r.split(' ').next()).expect(&line).to_string();

        let mut client = TcpStream::connect(&addr).unwrap();
        client.write_all(b"PING\r\n").unwrap();
        let mut buf = [0u8; 7];
        client.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"+PONG\r\n");

        let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
        assert!(status.success());
        let exit = child.wait().unwrap();
        assert!(exit.success(), "exit status after {signal}: {exit:?}");
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        assert!(rest.contains("bye"), "{rest}");
        // The server closed our connection on its way out.
        let mut tail = Vec::new();
        assert_eq!(client.read_to_end(&mut tail).unwrap_or(0), 0);
    }
}
