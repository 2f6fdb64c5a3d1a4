//! "Add text", drawn locally (SPEC §6b): the words wrapped to the picture (explicit line breaks
//! kept), sized S/M/L/XL and shrunk until they fit, placed on a 3×3 grid, in a chosen colour or one
//! that contrasts with the picture under them, over an optional semi-transparent plate whose
//! background is blurred. Emoji are drawn in colour from the embedded Twemoji font (its COLR layers
//! painted one by one); every other character comes from DejaVu Sans Bold.

use super::render::{decode, encode};
use crate::error::{Error, Result};
use crate::model::{Plate, TextColor, TextSize, TextStyle};
use ab_glyph::{Font, FontRef, GlyphId, PxScale, ScaleFont, point};
use image::{Rgb, RgbImage};

/// The longest side of a preview: small enough to render in a few milliseconds and to upload fast.
pub const PREVIEW_SIDE: u32 = 640;

/// Draws `text` on the photo in `bytes` and returns the full-size JPEG.
pub fn add_text(bytes: &[u8], text: &str, style: &TextStyle) -> Result<Vec<u8>> {
    let mut img = decode(bytes)?.to_rgb8();
    draw(&mut img, text, style)?;
    encode(&img)
}

/// The photo in `bytes` reduced for previews (decoded once, drawn on many times).
pub fn preview_base(bytes: &[u8]) -> Result<RgbImage> {
    let img = decode(bytes)?;
    Ok(if img.width().max(img.height()) > PREVIEW_SIDE {
        img.thumbnail(PREVIEW_SIDE, PREVIEW_SIDE).to_rgb8()
    } else {
        img.to_rgb8()
    })
}

/// One preview: `text` in `style` on a copy of `base`, as a JPEG.
pub fn preview(base: &RgbImage, text: &str, style: &TextStyle) -> Result<Vec<u8>> {
    let mut img = base.clone();
    draw(&mut img, text, style)?;
    encode(&img)
}

struct Fonts {
    text: FontRef<'static>,
    emoji: Option<FontRef<'static>>,
    colr: Option<ttf_parser::Face<'static>>,
}

fn fonts() -> Result<Fonts> {
    let file = crate::fonts::dejavu_bold()
        .ok_or_else(|| Error::internal("the embedded font is missing"))?;
    let text = FontRef::try_from_slice(file)
        .map_err(|e| Error::internal(format!("embedded font: {e}")))?;
    // Without the emoji font (it is always embedded; this only guards a broken build) emoji are
    // drawn as DejaVu has them.
    let emoji_file = crate::fonts::twemoji();
    let emoji = emoji_file.and_then(|f| FontRef::try_from_slice(f).ok());
    let colr = emoji_file.and_then(|f| ttf_parser::Face::parse(f, 0).ok());
    Ok(Fonts { text, emoji, colr })
}

/// A character of a line: a text glyph, or an emoji's (painted from its COLR layers).
#[derive(Clone, Copy)]
enum Piece {
    Text(GlyphId),
    Emoji(GlyphId),
}

/// Sizes of both fonts for one text size: the emoji's em a little larger than the letters'.
struct Scales {
    text: PxScale,
    emoji: PxScale,
}

impl Fonts {
    fn scales(&self, size: f32) -> Scales {
        let em = |f: &FontRef<'_>| f.units_per_em().unwrap_or(1000.0) / f.height_unscaled();
        let text_em = size * em(&self.text);
        let emoji = match &self.emoji {
            Some(e) => PxScale::from(text_em * 1.05 / em(e)),
            None => PxScale::from(size),
        };
        Scales {
            text: PxScale::from(size),
            emoji,
        }
    }

    /// The pieces of one line. Variation selectors, joiners, skin-tone modifiers and keycap marks
    /// are dropped: the emoji font's sequences need shaping, which this renderer does not do, so a
    /// sequence shows as its base emoji.
    fn pieces(&self, line: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        let chars: Vec<char> = line.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            if matches!(c, '\u{FE0E}' | '\u{FE0F}' | '\u{200D}' | '\u{20E3}')
                || ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
            {
                continue;
            }
            let wants_emoji = u32::from(c) >= 0x1F000
                || chars.get(i + 1) == Some(&'\u{FE0F}')
                || (('\u{2190}'..='\u{2BFF}').contains(&c) && self.text.glyph_id(c).0 == 0);
            if wants_emoji && let Some(e) = &self.emoji {
                let id = e.glyph_id(c);
                if id.0 != 0 {
                    out.push(Piece::Emoji(id));
                    continue;
                }
            }
            out.push(Piece::Text(self.text.glyph_id(c)));
        }
        out
    }

    fn advance(&self, piece: Piece, s: &Scales) -> f32 {
        match (piece, &self.emoji) {
            (Piece::Text(id), _) => self.text.as_scaled(s.text).h_advance(id),
            (Piece::Emoji(id), Some(e)) => e.as_scaled(s.emoji).h_advance(id),
            (Piece::Emoji(_), None) => 0.0,
        }
    }

    fn width(&self, pieces: &[Piece], s: &Scales) -> f32 {
        pieces.iter().map(|p| self.advance(*p, s)).sum()
    }

    /// Greedy word wrap of one paragraph; a word wider than the line is broken by characters.
    fn wrap(&self, paragraph: &str, max: f32, s: &Scales) -> Vec<Vec<Piece>> {
        let space = self.pieces(" ");
        let mut lines = Vec::new();
        let mut line: Vec<Piece> = Vec::new();
        for word in paragraph.split_whitespace() {
            let word = self.pieces(word);
            let mut candidate = line.clone();
            if !candidate.is_empty() {
                candidate.extend(&space);
            }
            candidate.extend(&word);
            if self.width(&candidate, s) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for p in word {
                line.push(p);
                if self.width(&line, s) > max && line.len() > 1 {
                    line.pop();
                    lines.push(std::mem::replace(&mut line, vec![p]));
                }
            }
        }
        lines.push(line);
        lines
    }
}

/// Draws `text` on `img` in `style`. Blank text leaves the picture as it was.
pub fn draw(img: &mut RgbImage, text: &str, style: &TextStyle) -> Result<()> {
    let fonts = fonts()?;
    let (w, h) = img.dimensions();
    let paragraphs: Vec<&str> = text.lines().map(str::trim).collect();
    if text.trim().is_empty() || w < 16 || h < 16 {
        return Ok(());
    }
    let short = w.min(h) as f32;
    let margin = (short * 0.04).round();
    let max_width = w as f32 - 2.0 * margin - short * 0.06;
    let max_height = h as f32 * 0.6;
    let mut size = short
        / match style.size {
            TextSize::S => 16.0,
            TextSize::M => 11.0,
            TextSize::L => 7.5,
            TextSize::XL => 5.0,
        };
    // Shrink until the wrapped block fits.
    let (lines, scales) = loop {
        let scales = fonts.scales(size);
        let lines: Vec<Vec<Piece>> = paragraphs
            .iter()
            .flat_map(|p| fonts.wrap(p, max_width, &scales))
            .collect();
        let lh = line_height(&fonts.text, scales.text);
        let widest = lines
            .iter()
            .map(|l| fonts.width(l, &scales))
            .fold(0.0, f32::max);
        if (lines.len() as f32 * lh <= max_height && widest <= max_width) || size <= 10.0 {
            break (lines, scales);
        }
        size *= 0.9;
    };
    let text_font = fonts.text.as_scaled(scales.text);
    let lh = line_height(&fonts.text, scales.text);
    let outline_r = (size / 14.0).ceil().max(1.0) as i32;
    let pad = outline_r as f32 + (size * 0.3).ceil();
    let widths: Vec<f32> = lines.iter().map(|l| fonts.width(l, &scales)).collect();
    let block_w = (widths.iter().copied().fold(0.0, f32::max) + 2.0 * pad).ceil() as usize;
    let block_h = (lines.len() as f32 * lh + 2.0 * pad).ceil() as usize;
    // The block (the plate, when there is one) keeps half the margin from the picture's edges.
    let (row, col) = style.spot.cell();
    let edge = margin / 2.0;
    let left = match col {
        0 => edge,
        1 => (w as f32 - block_w as f32) / 2.0,
        _ => w as f32 - edge - block_w as f32,
    }
    .round() as i64;
    let top = match row {
        0 => edge,
        1 => (h as f32 - block_h as f32) / 2.0,
        _ => h as f32 - edge - block_h as f32,
    }
    .round() as i64;
    let block = Rect::new(left, top, block_w, block_h, w, h);

    // Where each line starts, left-aligned, centred or right-aligned as the column is.
    let origins: Vec<(f32, f32)> = widths
        .iter()
        .enumerate()
        .map(|(n, lw)| {
            let x = match col {
                0 => pad,
                1 => (block_w as f32 - lw) / 2.0,
                _ => block_w as f32 - pad - lw,
            };
            (x, pad + n as f32 * lh + text_font.ascent())
        })
        .collect();

    let plate = style.plate;
    let fill = match (style.color, plate) {
        (TextColor::White, _) => Rgb([255, 255, 255]),
        (TextColor::Black, _) => Rgb([20, 20, 20]),
        (TextColor::Red, _) => Rgb([229, 57, 53]),
        (TextColor::Yellow, _) => Rgb([255, 214, 0]),
        (TextColor::Blue, _) => Rgb([30, 136, 229]),
        (TextColor::Auto, Plate::Dark) => Rgb([255, 255, 255]),
        (TextColor::Auto, Plate::Light) => Rgb([20, 20, 20]),
        (TextColor::Auto, Plate::None) => {
            if luminance_under(img, &block) > 140.0 {
                Rgb([20, 20, 20])
            } else {
                Rgb([255, 255, 255])
            }
        }
    };
    if plate != Plate::None {
        draw_plate(img, &block, plate, pad);
    }

    // The letters' coverage over the block, then (without a plate) an outline around them in the
    // colour that contrasts with the fill.
    let mut mask = vec![0.0f32; block_w * block_h];
    let mut emoji = Vec::new();
    for (line, (x0, baseline)) in lines.iter().zip(&origins) {
        let mut x = *x0;
        for piece in line {
            match *piece {
                Piece::Text(id) => {
                    let glyph = id.with_scale_and_position(scales.text, point(x, *baseline));
                    if let Some(outlined) = fonts.text.outline_glyph(glyph) {
                        let b = outlined.px_bounds();
                        outlined.draw(|gx, gy, c| {
                            let px = b.min.x as i64 + i64::from(gx);
                            let py = b.min.y as i64 + i64::from(gy);
                            if px >= 0
                                && py >= 0
                                && (px as usize) < block_w
                                && (py as usize) < block_h
                            {
                                let i = py as usize * block_w + px as usize;
                                mask[i] = mask[i].max(c);
                            }
                        });
                    }
                }
                Piece::Emoji(id) => emoji.push((id, x, *baseline)),
            }
            x += fonts.advance(*piece, &scales);
        }
    }
    let light_fill = luma(fill) > 100.0;
    if plate == Plate::None {
        let outline = dilate(&mask, block_w, block_h, outline_r);
        let edge = if light_fill {
            Rgb([12, 12, 12])
        } else {
            Rgb([245, 245, 245])
        };
        paint_mask(img, &block, &outline, edge);
    }
    paint_mask(img, &block, &mask, fill);
    if let (Some(font), Some(face)) = (&fonts.emoji, &fonts.colr) {
        for (id, x, baseline) in emoji {
            draw_emoji(img, font, face, id, scales.emoji, &block, x, baseline);
        }
    }
    Ok(())
}

fn line_height(font: &FontRef<'_>, scale: PxScale) -> f32 {
    let s = font.as_scaled(scale);
    s.ascent() - s.descent() + s.line_gap()
}

/// The text block on the picture: its top-left corner (possibly outside), size, and the picture's
/// bounds for clipping.
struct Rect {
    left: i64,
    top: i64,
    w: usize,
    h: usize,
    img_w: u32,
    img_h: u32,
}

impl Rect {
    fn new(left: i64, top: i64, w: usize, h: usize, img_w: u32, img_h: u32) -> Rect {
        Rect {
            left,
            top,
            w,
            h,
            img_w,
            img_h,
        }
    }

    /// The picture's pixel under block pixel (x, y), when it is on the picture.
    fn at(&self, x: usize, y: usize) -> Option<(u32, u32)> {
        let (px, py) = (self.left + x as i64, self.top + y as i64);
        (px >= 0 && py >= 0 && px < i64::from(self.img_w) && py < i64::from(self.img_h))
            .then_some((px as u32, py as u32))
    }

    /// The part of the block on the picture: (x0, y0, x1, y1), exclusive ends.
    fn clipped(&self) -> (u32, u32, u32, u32) {
        let clamp = |v: i64, max: u32| v.clamp(0, i64::from(max)) as u32;
        (
            clamp(self.left, self.img_w),
            clamp(self.top, self.img_h),
            clamp(self.left + self.w as i64, self.img_w),
            clamp(self.top + self.h as i64, self.img_h),
        )
    }
}

fn luma(c: Rgb<u8>) -> f32 {
    0.299 * f32::from(c.0[0]) + 0.587 * f32::from(c.0[1]) + 0.114 * f32::from(c.0[2])
}

/// The mean brightness of the picture under the block (sampled: a few thousand pixels at most).
fn luminance_under(img: &RgbImage, block: &Rect) -> f32 {
    let (x0, y0, x1, y1) = block.clipped();
    if x1 <= x0 || y1 <= y0 {
        return 128.0;
    }
    let step = (((x1 - x0) * (y1 - y0)) as f32 / 4096.0).sqrt().max(1.0) as usize;
    let (mut sum, mut n) = (0.0, 0.0);
    for y in (y0..y1).step_by(step) {
        for x in (x0..x1).step_by(step) {
            sum += luma(*img.get_pixel(x, y));
            n += 1.0;
        }
    }
    sum / n
}

/// The plate: the picture under the block blurred, then darkened or lightened, with round corners.
fn draw_plate(img: &mut RgbImage, block: &Rect, plate: Plate, radius: f32) {
    let (x0, y0, x1, y1) = block.clipped();
    if x1 <= x0 || y1 <= y0 {
        return;
    }
    let (pw, ph) = ((x1 - x0) as usize, (y1 - y0) as usize);
    let mut region: Vec<[f32; 3]> = Vec::with_capacity(pw * ph);
    for y in y0..y1 {
        for x in x0..x1 {
            let p = img.get_pixel(x, y).0;
            region.push([f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]);
        }
    }
    let r = (radius / 2.0).max(2.0) as usize;
    for _ in 0..2 {
        box_blur(&mut region, pw, ph, r);
    }
    let (tint, alpha) = match plate {
        Plate::Dark => ([0.0, 0.0, 0.0], 0.55),
        _ => ([255.0, 255.0, 255.0], 0.62),
    };
    let corner = radius.max(1.0);
    for y in 0..ph {
        for x in 0..pw {
            // Round corners: the block's own coordinates decide, so a clipped block keeps its shape.
            let bx = (i64::from(x0) + x as i64 - block.left) as f32 + 0.5;
            let by = (i64::from(y0) + y as i64 - block.top) as f32 + 0.5;
            let dx = (corner - bx).max(bx - (block.w as f32 - corner)).max(0.0);
            let dy = (corner - by).max(by - (block.h as f32 - corner)).max(0.0);
            let cover = (corner - (dx * dx + dy * dy).sqrt() + 0.5).clamp(0.0, 1.0);
            if cover == 0.0 {
                continue;
            }
            let b = region[y * pw + x];
            let plated: [f32; 3] = std::array::from_fn(|i| b[i] * (1.0 - alpha) + tint[i] * alpha);
            let p = img.get_pixel_mut(x0 + x as u32, y0 + y as u32);
            *p = Rgb(std::array::from_fn(|i| {
                (f32::from(p.0[i]) * (1.0 - cover) + plated[i] * cover).round() as u8
            }));
        }
    }
}

/// A box blur of radius `r`, rows then columns, with running sums (cost independent of `r`).
fn box_blur(px: &mut [[f32; 3]], w: usize, h: usize, r: usize) {
    let mut line = vec![[0.0f32; 3]; w.max(h)];
    let pass =
        |px: &mut [[f32; 3]], line: &mut [[f32; 3]], n: usize, at: &dyn Fn(usize) -> usize| {
            let mut sum = [0.0f32; 3];
            let get = |px: &[[f32; 3]], i: i64| px[at(i.clamp(0, n as i64 - 1) as usize)];
            for i in -(r as i64)..=(r as i64) {
                let v = get(px, i);
                (0..3).for_each(|c| sum[c] += v[c]);
            }
            let k = (2 * r + 1) as f32;
            for (i, slot) in line.iter_mut().enumerate().take(n) {
                *slot = std::array::from_fn(|c| sum[c] / k);
                let (out, inn) = (
                    get(px, i as i64 - r as i64),
                    get(px, i as i64 + r as i64 + 1),
                );
                (0..3).for_each(|c| sum[c] += inn[c] - out[c]);
            }
            for (i, v) in line.iter().enumerate().take(n) {
                px[at(i)] = *v;
            }
        };
    for y in 0..h {
        pass(px, &mut line, w, &|x| y * w + x);
    }
    for x in 0..w {
        pass(px, &mut line, h, &|y| y * w + x);
    }
}

/// Blends `color` into the picture where the block's `mask` covers it.
fn paint_mask(img: &mut RgbImage, block: &Rect, mask: &[f32], color: Rgb<u8>) {
    for y in 0..block.h {
        for x in 0..block.w {
            let a = mask[y * block.w + x];
            if a == 0.0 {
                continue;
            }
            if let Some((px, py)) = block.at(x, y) {
                let p = img.get_pixel_mut(px, py);
                *p = blend(*p, color, a);
            }
        }
    }
}

fn blend(under: Rgb<u8>, over: Rgb<u8>, alpha: f32) -> Rgb<u8> {
    let a = alpha.clamp(0.0, 1.0);
    Rgb(std::array::from_fn(|i| {
        (f32::from(under.0[i]) * (1.0 - a) + f32::from(over.0[i]) * a).round() as u8
    }))
}

/// The mask grown by `r` pixels in every direction, for the outline (separable max filters: a
/// square, whose corners are invisible at these sizes).
fn dilate(mask: &[f32], w: usize, h: usize, r: i32) -> Vec<f32> {
    let r = r as usize;
    let mut tmp = vec![0.0f32; mask.len()];
    for y in 0..h {
        let row = &mask[y * w..(y + 1) * w];
        for x in 0..w {
            let (lo, hi) = (x.saturating_sub(r), (x + r).min(w - 1));
            tmp[y * w + x] = row[lo..=hi].iter().copied().fold(0.0, f32::max);
        }
    }
    let mut out = vec![0.0f32; mask.len()];
    for y in 0..h {
        let (lo, hi) = (y.saturating_sub(r), (y + r).min(h - 1));
        for x in 0..w {
            out[y * w + x] = (lo..=hi).map(|yy| tmp[yy * w + x]).fold(0.0, f32::max);
        }
    }
    out
}

/// Collects an emoji's COLR layers: each a glyph outline and its colour.
struct Layers(Vec<(GlyphId, Rgb<u8>, f32)>, Option<ttf_parser::GlyphId>);

impl<'a> ttf_parser::colr::Painter<'a> for Layers {
    fn outline_glyph(&mut self, id: ttf_parser::GlyphId) {
        self.1 = Some(id);
    }
    fn paint(&mut self, paint: ttf_parser::colr::Paint<'a>) {
        if let (ttf_parser::colr::Paint::Solid(c), Some(id)) = (paint, self.1) {
            self.0.push((
                GlyphId(id.0),
                Rgb([c.red, c.green, c.blue]),
                f32::from(c.alpha) / 255.0,
            ));
        }
    }
    fn push_clip(&mut self) {}
    fn push_clip_box(&mut self, _: ttf_parser::colr::ClipBox) {}
    fn pop_clip(&mut self) {}
    fn push_layer(&mut self, _: ttf_parser::colr::CompositeMode) {}
    fn pop_layer(&mut self) {}
    fn push_transform(&mut self, _: ttf_parser::Transform) {}
    fn pop_transform(&mut self) {}
}

/// One emoji at (x, baseline) of the block: its layers painted in order, each in its colour.
#[allow(clippy::too_many_arguments)]
fn draw_emoji(
    img: &mut RgbImage,
    font: &FontRef<'_>,
    face: &ttf_parser::Face<'_>,
    id: GlyphId,
    scale: PxScale,
    block: &Rect,
    x: f32,
    baseline: f32,
) {
    let mut layers = Layers(Vec::new(), None);
    let black = ttf_parser::RgbaColor::new(0, 0, 0, 255);
    if face
        .paint_color_glyph(ttf_parser::GlyphId(id.0), 0, black, &mut layers)
        .is_none()
    {
        // Not a colour glyph: its own outline, in black.
        layers.0.push((id, Rgb([0, 0, 0]), 1.0));
    }
    for (layer, color, alpha) in layers.0 {
        let glyph = layer.with_scale_and_position(scale, point(x, baseline));
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let b = outlined.px_bounds();
        outlined.draw(|gx, gy, c| {
            let bx = b.min.x as i64 + i64::from(gx);
            let by = b.min.y as i64 + i64::from(gy);
            if bx < 0 || by < 0 {
                return;
            }
            if let Some((px, py)) = block.at(bx as usize, by as usize) {
                let p = img.get_pixel_mut(px, py);
                *p = blend(*p, color, c * alpha);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Spot;

    fn grey(w: u32, h: u32, v: u8) -> RgbImage {
        RgbImage::from_pixel(w, h, Rgb([v, v, v]))
    }

    /// The share of a band's pixels that are clearly red.
    fn red_share(img: &RgbImage, y0: u32, y1: u32) -> f32 {
        let (mut red, mut n) = (0, 0);
        for y in y0..y1 {
            for x in 0..img.width() {
                let p = img.get_pixel(x, y).0;
                n += 1;
                if p[0] > 180 && p[1] < 110 && p[2] < 110 {
                    red += 1;
                }
            }
        }
        red as f32 / n as f32
    }

    #[test]
    fn red_text_at_the_top_stays_in_the_top_third() {
        let mut img = grey(600, 600, 128);
        let style = TextStyle {
            size: TextSize::L,
            color: TextColor::Red,
            spot: Spot::TopCenter,
            plate: Plate::None,
        };
        draw(&mut img, "Распродажа", &style).expect("draw");
        assert!(
            red_share(&img, 0, 200) > 0.02,
            "{}",
            red_share(&img, 0, 200)
        );
        assert_eq!(red_share(&img, 400, 600), 0.0);
    }

    #[test]
    fn a_dark_plate_darkens_the_band_behind_the_text() {
        let mut img = grey(600, 400, 200);
        let style = TextStyle {
            plate: Plate::Dark,
            spot: Spot::BottomCenter,
            ..TextStyle::default()
        };
        draw(&mut img, "Скидка 50%", &style).expect("draw");
        // Sample the plate beside the words: near the block's left edge, inside it.
        let dark = (300..390)
            .flat_map(|y| (0..600).map(move |x| (x, y)))
            .filter(|(x, y)| img.get_pixel(*x, *y).0[0] < 120)
            .count();
        assert!(dark > 2000, "{dark}");
        assert!(img.get_pixel(300, 20).0[0] == 200, "the top is untouched");
    }

    #[test]
    fn emoji_are_drawn_in_colour_and_line_breaks_are_kept() {
        let fonts = fonts().expect("fonts");
        let pieces = fonts.pieces("Привет 🔥❤️");
        assert!(matches!(pieces.last(), Some(Piece::Emoji(_))));
        assert_eq!(
            pieces
                .iter()
                .filter(|p| matches!(p, Piece::Emoji(_)))
                .count(),
            2,
            "the variation selector is not a glyph"
        );
        let mut img = grey(400, 400, 128);
        draw(
            &mut img,
            "🔥",
            &TextStyle {
                size: TextSize::XL,
                ..TextStyle::default()
            },
        )
        .expect("draw");
        let orange = img
            .pixels()
            .filter(|p| p.0[0] > 200 && p.0[1] > 80 && p.0[1] < 200 && p.0[2] < 80)
            .count();
        assert!(orange > 200, "the flame is orange: {orange}");
        let scales = fonts.scales(30.0);
        let lines: Vec<_> = "раз\nдва"
            .lines()
            .flat_map(|p| fonts.wrap(p, 1000.0, &scales))
            .collect();
        assert_eq!(lines.len(), 2);
    }
}
