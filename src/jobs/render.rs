//! Pictures coming in: decoded once under the input limits, and made small enough for fal.

use crate::error::{Error, Result};
use image::{ImageFormat, RgbImage};
use std::io::Cursor;

/// SPEC §6: no input is decoded whose file is larger than this (Telegram's own download limit)…
pub const MAX_INPUT_BYTES: usize = 20 * 1024 * 1024;
/// …or whose header claims more pixels than this.
pub const MAX_INPUT_PIXELS: u64 = 40_000_000;
/// What the decoder may allocate: a 40-megapixel RGBA image with room to spare, never a bomb's claim.
const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;

/// The one way an input photo is decoded: the file size checked, the dimensions read from the header
/// before any pixel buffer exists, and the decoder run with an allocation limit. A photo over a limit
/// is `Error::TooLarge`; one that is not an image is `Error::Invalid`.
pub fn decode(bytes: &[u8]) -> Result<image::DynamicImage> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(Error::TooLarge(format!(
            "the file has {} bytes, more than {MAX_INPUT_BYTES}",
            bytes.len()
        )));
    }
    let unreadable =
        |e: image::ImageError| Error::invalid(format!("the photo could not be read: {e}"));
    let reader = || {
        image::ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| Error::invalid(format!("the photo could not be read: {e}")))
    };
    let (w, h) = reader()?.into_dimensions().map_err(unreadable)?;
    if u64::from(w) * u64::from(h) > MAX_INPUT_PIXELS {
        return Err(Error::TooLarge(format!(
            "the photo is {w}×{h}, more than {MAX_INPUT_PIXELS} pixels"
        )));
    }
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(MAX_DECODE_ALLOC);
    let mut decoder = reader()?;
    decoder.limits(limits);
    decoder.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => {
            Error::TooLarge(format!("the photo needs too much memory: {l}"))
        }
        other => unreadable(other),
    })
}

/// A JPEG of `img`.
pub(super) fn encode(img: &RgbImage) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg)
        .map_err(|e| Error::invalid(format!("encoding the result failed: {e}")))?;
    Ok(out.into_inner())
}

/// The longest side and the most bytes each of `count` input pictures may take, so that one fal
/// request carrying all of them stays a few megabytes (data URIs grow by a third).
pub fn input_limits(count: usize) -> (u32, usize) {
    if count <= 2 {
        (2048, 4 * 1024 * 1024)
    } else {
        (1536, 1536 * 1024)
    }
}

/// A picture as a data URI for fal: as sent when it is already within `max_side` and `budget`,
/// else downscaled and re-encoded as JPEG. Decoded under the input limits either way (a file that
/// is not a picture fails here, before anything is charged at fal).
pub fn data_uri(bytes: &[u8], max_side: u32, budget: usize) -> Result<String> {
    use base64::Engine;
    let png = bytes.starts_with(&[0x89, b'P', b'N', b'G']);
    let img = decode(bytes)?;
    let (bytes, mime) = if img.width().max(img.height()) > max_side || bytes.len() > budget {
        // `thumbnail` averages areas in integers: no float copy of the whole photo (a 12-megapixel
        // photo's `resize` buffer alone is ~55 MB), and a good filter for shrinking.
        let small = if img.width().max(img.height()) > max_side {
            img.thumbnail(max_side, max_side)
        } else {
            img
        };
        (encode(&small.to_rgb8())?, "image/jpeg")
    } else {
        (bytes.to_vec(), if png { "image/png" } else { "image/jpeg" })
    };
    Ok(format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    fn photo(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        encode(&img).expect("encode")
    }

    #[test]
    fn text_changes_the_lower_part_only() {
        let input = photo(400, 300);
        let out = crate::jobs::text::add_text(&input, "Привет, мир! Hello", &Default::default())
            .expect("render");
        let (a, b) = (
            image::load_from_memory(&input).expect("in").to_rgb8(),
            image::load_from_memory(&out).expect("out").to_rgb8(),
        );
        assert_eq!(a.dimensions(), b.dimensions());
        let diff = |y0: u32, y1: u32| -> u64 {
            (y0..y1)
                .flat_map(|y| (0..400).map(move |x| (x, y)))
                .map(|(x, y)| {
                    let (p, q) = (a.get_pixel(x, y), b.get_pixel(x, y));
                    (0..3)
                        .map(|i| u64::from(p.0[i].abs_diff(q.0[i])))
                        .sum::<u64>()
                })
                .sum()
        };
        let (top, bottom) = (diff(0, 100), diff(200, 300));
        assert!(
            bottom > top * 20,
            "text is at the bottom: top {top}, bottom {bottom}"
        );
    }

    #[test]
    fn long_text_wraps_and_shrinks_to_fit() {
        let long = "очень длинный текст ".repeat(15);
        let out = crate::jobs::text::add_text(&photo(320, 240), &long, &Default::default())
            .expect("render");
        assert!(image::load_from_memory(&out).is_ok());
        let one_word = "Ааааааааааааааааааааааааааааааааааааааааааааааа";
        assert!(
            crate::jobs::text::add_text(&photo(200, 200), one_word, &Default::default()).is_ok()
        );
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // A PNG whose header claims 20000×20000 (400 megapixels): refused before any pixel buffer.
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = b"IHDR".to_vec();
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&20_000u32.to_be_bytes());
        ihdr.extend_from_slice(&[8, 0, 0, 0, 0]);
        png.extend_from_slice(&13u32.to_be_bytes());
        png.extend_from_slice(&ihdr);
        png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
        // A start of compressed pixel data (a zlib header and a few zero bytes), as a bomb has.
        let mut idat = b"IDAT".to_vec();
        idat.extend_from_slice(&[0x78, 0x9c, 0x63, 0x00, 0x00]);
        png.extend_from_slice(&5u32.to_be_bytes());
        png.extend_from_slice(&idat);
        png.extend_from_slice(&crc32(&idat).to_be_bytes());
        let r = decode(&png);
        assert!(matches!(r, Err(Error::TooLarge(_))), "{r:?}");
        assert!(matches!(
            crate::jobs::text::add_text(&png, "hi", &Default::default()),
            Err(Error::TooLarge(_))
        ));
        assert!(matches!(
            data_uri(&png, 2048, usize::MAX),
            Err(Error::TooLarge(_))
        ));
        assert!(matches!(
            decode(&vec![0u8; MAX_INPUT_BYTES + 1]),
            Err(Error::TooLarge(_))
        ));
        assert!(matches!(decode(b"not an image"), Err(Error::Invalid(_))));
    }

    /// PNG's CRC-32 (for the hand-made header above).
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xffff_ffffu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xedb8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn large_inputs_are_downscaled_for_fal() {
        let uri = data_uri(&photo(3000, 1000), 2048, usize::MAX).expect("uri");
        use base64::Engine;
        let b64 = uri
            .strip_prefix("data:image/jpeg;base64,")
            .expect("jpeg uri");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .expect("b64");
        let img = image::load_from_memory(&bytes).expect("decode");
        assert_eq!((img.width(), img.height()), (2048, 683));
    }
}
