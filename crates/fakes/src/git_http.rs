//! Git's smart HTTP for the fake GitHub: requests under `/git/` are handed to the real
//! `git http-backend` (CGI) over bare repositories in a folder, behind GitHub's authentication
//! (HTTP Basic with the token as password; `401` with `WWW-Authenticate` asks the client for it).

use std::path::Path;

use tokio::io::AsyncWriteExt;

use crate::http::Recorded;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (for comparing an `Authorization: Basic` header).
pub fn base64(input: &[u8]) -> String {
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Whether the request carries one of `tokens` the way git sends it to GitHub.
pub fn authorised(request: &Recorded, tokens: &[String]) -> bool {
    let header = request.header("authorization").unwrap_or_default();
    tokens
        .iter()
        .any(|t| header == format!("Basic {}", base64(format!("x-access-token:{t}").as_bytes())))
}

/// Runs `git http-backend` for a request under `/git/`; returns status, headers and body.
pub async fn serve(root: &Path, request: &Recorded) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let (path, query) = request
        .path
        .split_once('?')
        .unwrap_or((request.path.as_str(), ""));
    let path_info = path.strip_prefix("/git").unwrap_or(path);
    let child = tokio::process::Command::new("git")
        .arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REMOTE_USER", "x-access-token")
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("REQUEST_METHOD", &request.method)
        .env("PATH_INFO", path_info)
        .env("QUERY_STRING", query)
        .env(
            "CONTENT_TYPE",
            request.header("content-type").unwrap_or_default(),
        )
        .env("CONTENT_LENGTH", request.raw.len().to_string())
        .env(
            "HTTP_GIT_PROTOCOL",
            request.header("git-protocol").unwrap_or_default(),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        return (500, Vec::new(), b"git http-backend did not start".to_vec());
    };
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(&request.raw).await;
    }
    let Ok(output) = child.wait_with_output().await else {
        return (500, Vec::new(), b"git http-backend failed".to_vec());
    };
    // CGI output: headers, a blank line, the body.
    let out = output.stdout;
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| (p, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)));
    let Some((end, sep)) = split else {
        return (500, Vec::new(), out);
    };
    let mut status = 200;
    let mut headers = Vec::new();
    for line in String::from_utf8_lossy(&out[..end]).lines() {
        if let Some((k, v)) = line.split_once(':') {
            let (k, v) = (k.trim(), v.trim());
            if k.eq_ignore_ascii_case("status") {
                status = v
                    .split_whitespace()
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(200);
            } else {
                headers.push((k.to_string(), v.to_string()));
            }
        }
    }
    (status, headers, out[end + sep..].to_vec())
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_the_standard_alphabet() {
        assert_eq!(
            super::base64(b"x-access-token:t"),
            "eC1hY2Nlc3MtdG9rZW46dA=="
        );
        assert_eq!(super::base64(b"ab"), "YWI=");
        assert_eq!(super::base64(b"abc"), "YWJj");
    }
}
