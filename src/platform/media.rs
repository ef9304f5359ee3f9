//! Images as platforms judge them: format (from the file's first bytes, not its name)
//! and size.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Gif,
    Webp,
    Bmp,
    Tiff,
    Heic,
    Avif,
}

impl fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
            ImageFormat::Gif => "GIF",
            ImageFormat::Webp => "WebP",
            ImageFormat::Bmp => "BMP",
            ImageFormat::Tiff => "TIFF",
            ImageFormat::Heic => "HEIC",
            ImageFormat::Avif => "AVIF",
        })
    }
}

impl ImageFormat {
    /// The MIME type platforms expect with an upload.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Webp => "image/webp",
            ImageFormat::Bmp => "image/bmp",
            ImageFormat::Tiff => "image/tiff",
            ImageFormat::Heic => "image/heic",
            ImageFormat::Avif => "image/avif",
        }
    }
}

/// What an image file is, by its magic bytes.
pub fn sniff(head: &[u8]) -> Option<ImageFormat> {
    let starts = |magic: &[u8]| head.starts_with(magic);
    let brand = head.get(4..12);
    Some(match () {
        _ if starts(&[0xFF, 0xD8, 0xFF]) => ImageFormat::Jpeg,
        _ if starts(b"\x89PNG\r\n\x1a\n") => ImageFormat::Png,
        _ if starts(b"GIF87a") || starts(b"GIF89a") => ImageFormat::Gif,
        _ if starts(b"RIFF") && head.get(8..12) == Some(b"WEBP") => ImageFormat::Webp,
        _ if starts(b"BM") => ImageFormat::Bmp,
        _ if starts(b"II*\0") || starts(b"MM\0*") => ImageFormat::Tiff,
        _ if matches!(brand, Some(b) if b.starts_with(b"ftyphei") || b.starts_with(b"ftypmif1") || b.starts_with(b"ftyphev")) => {
            ImageFormat::Heic
        }
        _ if matches!(brand, Some(b) if b.starts_with(b"ftypavi")) => ImageFormat::Avif,
        _ => return None,
    })
}

/// An image file's format and size, read once per variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageInfo {
    pub bytes: u64,
    pub format: Option<ImageFormat>,
}

/// Reads the size and the first bytes of `path`.
pub fn inspect(path: &std::path::Path) -> std::io::Result<ImageInfo> {
    use std::io::Read;
    let mut file = crate::limits::open_file(path)?;
    let bytes = file.metadata()?.len();
    let mut head = [0u8; 16];
    let n = file.read(&mut head)?;
    Ok(ImageInfo {
        bytes,
        format: sniff(&head[..n]),
    })
}

/// `1.2 MB`, for messages.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    } else {
        format!("{} kB", bytes.div_ceil(1000))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_bytes() {
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\n...."), Some(ImageFormat::Png));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(ImageFormat::Jpeg));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some(ImageFormat::Webp));
        assert_eq!(sniff(b"not an image"), None);
    }
}
