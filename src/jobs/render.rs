//! "Add text", drawn locally: the text is wrapped to the photo's width, sized to fit the lower part
//! of the picture, and drawn white with a dark outline so it reads on any background. The font
//! (DejaVu Sans Bold: Latin and Cyrillic) is embedded in the binary.

use crate::error::{Error, Result};
use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use image::{ImageFormat, Rgb, RgbImage};
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

/// Draws `text` on the photo in `bytes` (JPEG or PNG) and returns a JPEG.
pub fn add_text(bytes: &[u8], text: &str) -> Result<Vec<u8>> {
    let font_file = crate::fonts::dejavu_bold()
        .ok_or_else(|| Error::internal("the embedded font is missing"))?;
    let font = FontRef::try_from_slice(font_file)
        .map_err(|e| Error::internal(format!("embedded font: {e}")))?;
    let mut img = decode(bytes)?.to_rgb8();
    let (w, h) = img.dimensions();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.is_empty() || w < 16 || h < 16 {
        return encode(&img);
    }
    let max_width = w as f32 * 0.92;
    let max_height = h as f32 * 0.40;
    // Start large and shrink until the wrapped block fits the lower 40 % of the picture.
    let mut size = (h as f32 / 7.0).max(12.0);
    let lines = loop {
        let scaled = font.as_scaled(PxScale::from(size));
        let lines = wrap(&scaled, &text, max_width);
        let height = lines.len() as f32 * line_height(&scaled);
        let widest = lines.iter().map(|l| width(&scaled, l)).fold(0.0, f32::max);
        if (height <= max_height && widest <= max_width) || size <= 10.0 {
            break lines;
        }
        size *= 0.9;
    };
    let scaled = font.as_scaled(PxScale::from(size));
    let (mask, mw, mh) = rasterize(&scaled, &lines, w as usize);
    let outline = dilate(&mask, mw, mh, (size / 14.0).ceil().max(1.0) as i32);
    let top = (h as f32 - h as f32 * 0.04 - mh as f32).max(0.0) as u32;
    for y in 0..mh as u32 {
        for x in 0..mw as u32 {
            let (px, py) = (x, top + y);
            if px >= w || py >= h {
                continue;
            }
            let i = y as usize * mw + x as usize;
            let (fill, edge) = (mask[i], outline[i]);
            if edge == 0.0 {
                continue;
            }
            let p = img.get_pixel_mut(px, py);
            // Outline first (near-black), then the white fill over it.
            *p = blend(*p, Rgb([12, 12, 12]), edge);
            *p = blend(*p, Rgb([255, 255, 255]), fill);
        }
    }
    encode(&img)
}

fn line_height<S: ScaleFont<F>, F: Font>(s: &S) -> f32 {
    s.ascent() - s.descent() + s.line_gap()
}

fn width<S: ScaleFont<F>, F: Font>(s: &S, line: &str) -> f32 {
    let mut w = 0.0;
    let mut prev = None;
    for c in line.chars() {
        let id = s.glyph_id(c);
        if let Some(p) = prev {
            w += s.kern(p, id);
        }
        w += s.h_advance(id);
        prev = Some(id);
    }
    w
}

/// Greedy word wrap; a word wider than the line is broken by characters.
fn wrap<S: ScaleFont<F>, F: Font>(s: &S, text: &str, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let candidate = if line.is_empty() {
            word.to_string()
        } else {
            format!("{line} {word}")
        };
        if width(s, &candidate) <= max {
            line = candidate;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        for c in word.chars() {
            let next = format!("{line}{c}");
            if width(s, &next) > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line.push(c);
            } else {
                line = next;
            }
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Coverage of the centred text block, `width` pixels wide.
fn rasterize<F: Font, S: ScaleFont<F>>(
    s: &S,
    lines: &[String],
    width_px: usize,
) -> (Vec<f32>, usize, usize) {
    let lh = line_height(s);
    let pad = (s.height() / 6.0).ceil() as usize + 2;
    let mh = (lines.len() as f32 * lh).ceil() as usize + 2 * pad;
    let mut mask = vec![0.0f32; width_px * mh];
    for (n, line) in lines.iter().enumerate() {
        let mut x = (width_px as f32 - width(s, line)) / 2.0;
        let baseline = pad as f32 + n as f32 * lh + s.ascent();
        let mut prev = None;
        for c in line.chars() {
            let id = s.glyph_id(c);
            if let Some(p) = prev {
                x += s.kern(p, id);
            }
            let glyph = id.with_scale_and_position(s.scale(), point(x, baseline));
            x += s.h_advance(id);
            prev = Some(id);
            let Some(outlined) = s.font().outline_glyph(glyph) else {
                continue;
            };
            let b = outlined.px_bounds();
            outlined.draw(|gx, gy, c| {
                let px = b.min.x as i64 + i64::from(gx);
                let py = b.min.y as i64 + i64::from(gy);
                if px >= 0 && py >= 0 && (px as usize) < width_px && (py as usize) < mh {
                    let i = py as usize * width_px + px as usize;
                    mask[i] = mask[i].max(c);
                }
            });
        }
    }
    (mask, width_px, mh)
}

/// The mask grown by `r` pixels in every direction (a disc), for the outline.
fn dilate(mask: &[f32], w: usize, h: usize, r: i32) -> Vec<f32> {
    // Separable max filters (a square) are cheap; the corners it adds are invisible at these sizes.
    let mut tmp = vec![0.0f32; mask.len()];
    for y in 0..h {
        for x in 0..w {
            let (lo, hi) = (x.saturating_sub(r as usize), (x + r as usize).min(w - 1));
            tmp[y * w + x] = mask[y * w + lo..=y * w + hi]
                .iter()
                .copied()
                .fold(0.0, f32::max);
        }
    }
    let mut out = vec![0.0f32; mask.len()];
    for y in 0..h {
        let (lo, hi) = (y.saturating_sub(r as usize), (y + r as usize).min(h - 1));
        for x in 0..w {
            out[y * w + x] = (lo..=hi).map(|yy| tmp[yy * w + x]).fold(0.0, f32::max);
        }
    }
    out
}

fn blend(under: Rgb<u8>, over: Rgb<u8>, alpha: f32) -> Rgb<u8> {
    let a = alpha.clamp(0.0, 1.0);
    Rgb(std::array::from_fn(|i| {
        (f32::from(under.0[i]) * (1.0 - a) + f32::from(over.0[i]) * a).round() as u8
    }))
}

fn encode(img: &RgbImage) -> Result<Vec<u8>> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Jpeg)
        .map_err(|e| Error::invalid(format!("encoding the result failed: {e}")))?;
    Ok(out.into_inner())
}

/// Makes a photo fit fal's inputs: at most `max_side` pixels on its longer side, as a `data:` URI.
pub fn data_uri(bytes: &[u8], max_side: u32) -> Result<String> {
    use base64::Engine;
    let png = bytes.starts_with(&[0x89, b'P', b'N', b'G']);
    let img = decode(bytes)?;
    let (bytes, mime) = if img.width().max(img.height()) > max_side {
        let small = img
            .resize(max_side, max_side, image::imageops::FilterType::Triangle)
            .to_rgb8();
        (encode(&small)?, "image/jpeg")
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

    fn photo(w: u32, h: u32) -> Vec<u8> {
        let img = RgbImage::from_fn(w, h, |x, y| Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
        encode(&img).expect("encode")
    }

    #[test]
    fn text_changes_the_lower_part_only() {
        let input = photo(400, 300);
        let out = add_text(&input, "Привет, мир! Hello").expect("render");
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
        let out = add_text(&photo(320, 240), &long).expect("render");
        assert!(image::load_from_memory(&out).is_ok());
        let one_word = "Ааааааааааааааааааааааааааааааааааааааааааааааа";
        assert!(add_text(&photo(200, 200), one_word).is_ok());
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
        assert!(matches!(add_text(&png, "hi"), Err(Error::TooLarge(_))));
        assert!(matches!(data_uri(&png, 2048), Err(Error::TooLarge(_))));
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
        let uri = data_uri(&photo(3000, 1000), 2048).expect("uri");
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
