//! The web client's files, embedded at build time from `web/dist/` (see `build.rs`), with their
//! content types and ETags.

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// The URL path it is served at, such as `/index.html`.
    pub path: &'static str,
    /// Its bytes.
    pub body: &'static [u8],
    /// A strong ETag from its content, quotes included.
    pub etag: &'static str,
}

/// Every file under `web/dist/` when the server was built.
pub static ASSETS: &[Asset] = include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// The asset served at `path` (`/` is `/index.html`).
pub fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/" { "/index.html" } else { path };
    ASSETS.iter().find(|asset| asset.path == path)
}

/// The content type for a file name, by extension.
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, ext)| ext);
    match extension {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types_by_extension() {
        assert_eq!(content_type("/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("/app.mjs"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("/LICENSE"), "application/octet-stream");
    }

    #[test]
    fn every_asset_has_a_quoted_etag_and_an_absolute_path() {
        for asset in ASSETS {
            assert!(asset.path.starts_with('/'), "{}", asset.path);
            assert!(asset.etag.starts_with('"') && asset.etag.ends_with('"'));
        }
    }
}
