//! The creative toolset of SPEC §6b end to end: the model picker with this user's prices, formats in
//! each model's own field, 🔁 with the same model and format, MODELS_FILE and FAL_MODEL_<MODE>,
//! edits of up to 8 pictures (one by one, an album, documents), the retouch presets, 📎 the original
//! file, and `models` / `check` against fal's platform API.

mod common;

use common::bot::press;
use common::fake_fal::{FakeFal, Submit};
use common::fake_telegram::{Call, FakeTelegram};
use common::jobs::{credit, photos_to};
use common::{Scratch, jpeg, run, wait_until};

/// The buttons of a call whose data starts with `prefix`.
fn buttons(call: &Call, prefix: &str) -> Vec<(String, String)> {
    call.buttons()
        .into_iter()
        .filter(|(_, d)| d.starts_with(prefix))
        .collect()
}

/// The `n`-th request for a picture (the language model's translations left out).
fn submit(fal: &FakeFal, n: usize) -> Submit {
    let pictures = || -> Vec<Submit> {
        fal.submits()
            .into_iter()
            .filter(|s| s.endpoint != "fal-ai/any-llm")
            .collect()
    };
    wait_until(20, "a submit to fal", || pictures().len() > n);
    pictures()[n].clone()
}

fn balance(dir: &Scratch, user: i64) -> String {
    common::bot::user(dir, user)["balance"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn last_photo(tg: &FakeTelegram, user: i64) -> Call {
    tg.calls()
        .into_iter()
        .rfind(|c| c.method == "sendphoto" && c.chat() == user)
        .expect("a photo")
}

/// 🎨 offers the four generate models, each with this user's price and its note; Nano Banana Pro
/// with 3:4 reaches its endpoint with `aspect_ratio: "3:4"` and costs 26 ₽; 🔁 repeats both; the
/// caption names them. A model whose format is an `image_size` gets 16:9 as its preset.
#[test]
fn the_picker_sells_each_model_at_its_price_in_the_chosen_format() {
    let (dir, tg, fal) = (
        Scratch::new("catalogue-picker"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 2501;
    credit(&dir, user, "100");
    let _bot = common::jobs::start(&dir, &tg, &fal, &[]);

    let screen = press(&tg, user, "mode:generate");
    let models = buttons(&screen, "pick:");
    let labels: Vec<&str> = models.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "✓ Nano Banana · 10 ₽",
            "Nano Banana Pro · 26 ₽",
            "Seedream 4.5 · 10 ₽",
            "FLUX schnell · 10 ₽"
        ],
        "{:?}",
        screen.buttons()
    );
    assert!(
        screen.text().contains("русский текст"),
        "the notes are under the question: {}",
        screen.text()
    );
    let formats = buttons(&screen, "fmt:");
    assert_eq!(formats.len(), 6, "{formats:?}");
    assert!(formats[0].0.starts_with("✓ 1:1"), "{formats:?}");
    assert!(formats.iter().any(|(l, _)| l == "3:4 WB / Ozon"));

    let screen = press(&tg, user, &models[1].1);
    assert!(
        buttons(&screen, "pick:")[1]
            .0
            .starts_with("✓ Nano Banana Pro"),
        "the choice is marked: {:?}",
        screen.buttons()
    );
    let screen = press(&tg, user, "fmt:generate:3:4");
    assert!(
        buttons(&screen, "fmt:")
            .iter()
            .any(|(l, _)| l == "✓ 3:4 WB / Ozon"),
        "{:?}",
        screen.buttons()
    );
    let mark = tg.mark();
    tg.send_text(user, "открытка «С Новым годом» крупными буквами");
    tg.wait_message(mark, user, "accepted");
    let sent = submit(&fal, 0);
    assert_eq!(sent.endpoint, "fal-ai/nano-banana-pro");
    assert_eq!(sent.input["aspect_ratio"], "3:4", "{}", sent.input);
    wait_until(20, "the picture", || photos_to(&tg, user) == 1);
    assert_eq!(balance(&dir, user), "74.00", "26 ₽ for Nano Banana Pro");
    let photo = last_photo(&tg, user);
    assert!(
        photo.text().contains("Nano Banana Pro · 3:4"),
        "the caption names the model and format: {}",
        photo.text()
    );
    let again = photo
        .buttons()
        .into_iter()
        .find(|(_, d)| d.starts_with("again:"))
        .expect("🔁");
    assert_eq!(again.0, "🔁 Ещё вариант · 26 ₽");

    // The choice is remembered: a new visit marks it.
    let screen = press(&tg, user, "mode:generate");
    assert!(buttons(&screen, "pick:")[1].0.starts_with("✓ "));
    // …but 🔁 repeats the job's own model and format even after the user picks another.
    press(&tg, user, &models[3].1);
    tg.press(user, &again.1);
    let sent = submit(&fal, 1);
    assert_eq!(
        (sent.endpoint.as_str(), &sent.input["aspect_ratio"]),
        ("fal-ai/nano-banana-pro", &serde_json::json!("3:4"))
    );
    wait_until(20, "the second picture", || photos_to(&tg, user) == 2);
    assert_eq!(balance(&dir, user), "48.00");

    // FLUX schnell (picked above) takes its format as an image_size preset.
    press(&tg, user, "fmt:generate:16:9");
    let mark = tg.mark();
    tg.send_text(user, "горы на закате");
    tg.wait_message(mark, user, "accepted");
    let sent = submit(&fal, 2);
    assert_eq!(sent.endpoint, "fal-ai/flux/schnell");
    assert_eq!(sent.input["image_size"], "landscape_16_9", "{}", sent.input);
    // FLUX reads English: the prompt went through the language model first (free).
    assert_eq!(
        sent.input["prompt"], "Ответ: горы на закате",
        "{}",
        sent.input
    );
    let asked = fal
        .submits()
        .into_iter()
        .find(|s| s.endpoint == "fal-ai/any-llm")
        .expect("a translation");
    assert_eq!(asked.input["prompt"], "горы на закате");
    assert!(sent.input.get("aspect_ratio").is_none());

    // 4:5 has no preset: width and height, taller than wide.
    press(&tg, user, "fmt:generate:4:5");
    let mark = tg.mark();
    tg.send_text(user, "портрет кота");
    tg.wait_message(mark, user, "accepted");
    let size = submit(&fal, 3).input["image_size"].clone();
    assert!(size["height"].as_i64() > size["width"].as_i64(), "{size}");

    // What each model earned and cost: Nano Banana Pro twice at 26 ₽, $0.15 each at 90 ₽/$; the
    // admin's 100 ₽ is a free credit, not revenue.
    wait_until(20, "all four pictures", || photos_to(&tg, user) == 4);
    let stats: serde_json::Value =
        serde_json::from_str(&common::ok(dir.path(), &["stats", "--json"])).expect("stats json");
    let pro = stats["by_model"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|r| r["model"] == "Nano Banana Pro")
        .cloned()
        .expect("a Nano Banana Pro row");
    assert_eq!(
        (
            &pro["operations"],
            &pro["revenue"],
            &pro["cost"],
            &pro["margin"]
        ),
        (
            &serde_json::json!(2),
            &serde_json::json!("52.00"),
            &serde_json::json!("27.00"),
            &serde_json::json!("25.00")
        ),
        "{pro}"
    );
    assert_eq!(stats["free_credits"], "100.00");
    assert_eq!(stats["revenue"], "0.00");
}

/// MODELS_FILE replaces the catalogue (its prices, its order); FAL_MODEL_GENERATE alone leaves
/// generate with one model: no picker, 0.1's request.
#[test]
fn models_file_replaces_the_catalogue_and_one_model_means_no_picker() {
    let (dir, tg, fal) = (
        Scratch::new("catalogue-file"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let file = dir.path().join("models.toml");
    let mut text = String::new();
    for (mode, id, label, price) in [
        ("generate", "fal-ai/flux/dev", "FLUX dev", "12"),
        ("generate", "fal-ai/recraft/v3", "Recraft", "7.5"),
        ("edit", "fal-ai/nano-banana/edit", "Banana", "9"),
        ("merge", "fal-ai/nano-banana/edit", "Banana", "9"),
        ("face_swap", "fal-ai/face-swap", "Swap", "9"),
        ("retouch", "fal-ai/retoucher", "Soft", "9"),
        ("upscale", "fal-ai/recraft/upscale/crisp", "Crisp", "3"),
    ] {
        text.push_str(&format!(
            "[[model]]\nmode = \"{mode}\"\nid = \"{id}\"\nlabel = \"{label}\"\nprice = {price}\n\n"
        ));
    }
    std::fs::write(&file, text).expect("models file");
    let user = 2502;
    credit(&dir, user, "100");
    let path = file.to_string_lossy().to_string();
    let bot = common::jobs::start(&dir, &tg, &fal, &[("MODELS_FILE", &path)]);
    let screen = press(&tg, user, "mode:generate");
    let labels: Vec<String> = buttons(&screen, "pick:")
        .into_iter()
        .map(|(l, _)| l)
        .collect();
    assert_eq!(labels, ["✓ FLUX dev · 12 ₽", "Recraft · 7,50 ₽"]);
    assert!(
        buttons(&screen, "fmt:").is_empty(),
        "no model here takes a format"
    );
    drop(bot);

    let _bot = common::jobs::start(
        &dir,
        &tg,
        &fal,
        &[("FAL_MODEL_GENERATE", "fal-ai/flux/schnell")],
    );
    let screen = press(&tg, user, "mode:generate");
    assert!(
        buttons(&screen, "pick:").is_empty(),
        "one model: no picker {:?}",
        screen.buttons()
    );
    let mark = tg.mark();
    tg.send_text(user, "лиса");
    tg.wait_message(mark, user, "accepted");
    let sent = submit(&fal, 0);
    assert_eq!(sent.endpoint, "fal-ai/flux/schnell");
    assert_eq!(sent.input["prompt"], "Ответ: лиса", "translated for FLUX");
    assert_eq!(
        sent.input["image_size"], "square_hd",
        "the one model still takes a format"
    );
    assert_eq!(sent.input["num_images"], 1);
    wait_until(20, "the picture", || photos_to(&tg, user) == 1);
    assert_eq!(balance(&dir, user), "90.00", "PRICE_GENERATE's 10 ₽");
}

/// Edit takes up to 8 pictures: 6 one by one, then the instruction — one request with six data URIs,
/// one charge; an album of 8 is counted once and a 9th is refused politely; pictures sent as files
/// count as pictures.
#[test]
fn an_edit_takes_up_to_eight_pictures_in_one_request() {
    let (dir, tg, fal) = (
        Scratch::new("catalogue-eight"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 2503;
    credit(&dir, user, "100");
    let _bot = common::jobs::start(&dir, &tg, &fal, &[]);

    press(&tg, user, "mode:edit");
    for n in 1..=6 {
        let mark = tg.mark();
        if n % 2 == 0 {
            tg.send_document(user, &format!("doc-{n}"), jpeg(300, 200), None);
        } else {
            tg.send_photo(user, &format!("ph-{n}"), jpeg(300, 200), None, None);
        }
        let got = tg.wait_message(mark, user, "the count");
        assert!(
            got.text().contains(&format!("Получено фото: {n}")),
            "{}",
            got.text()
        );
    }
    let mark = tg.mark();
    tg.send_text(user, "поставь все товары на белый фон в ряд");
    tg.wait_message(mark, user, "accepted");
    let sent = submit(&fal, 0);
    assert_eq!(sent.endpoint, "fal-ai/nano-banana/edit");
    let urls = sent.input["image_urls"].as_array().expect("image_urls");
    assert_eq!(urls.len(), 6);
    assert!(
        urls.iter()
            .all(|u| u.as_str().is_some_and(|u| u.starts_with("data:image/")))
    );
    wait_until(20, "the edit", || photos_to(&tg, user) == 1);
    assert_eq!(balance(&dir, user), "90.00", "one charge for six pictures");

    // An album of 8 with its request as the caption: counted once, started once.
    press(&tg, user, "mode:merge");
    let mark = tg.mark();
    for n in 1..=8 {
        let caption = (n == 1).then_some("собери всё в одну сцену");
        tg.send_photo(
            user,
            &format!("al-{n}"),
            jpeg(200, 200),
            caption,
            Some("album-1"),
        );
    }
    tg.wait_message(mark, user, "accepted");
    let sent = submit(&fal, 1);
    assert_eq!(sent.input["image_urls"].as_array().map(Vec::len), Some(8));
    wait_until(20, "the merge", || photos_to(&tg, user) == 2);

    // Eight then a ninth, one by one: the ninth is refused, the eight stay.
    press(&tg, user, "mode:merge");
    for n in 1..=8 {
        tg.send_photo(user, &format!("m-{n}"), jpeg(120, 120), None, None);
    }
    wait_until(20, "eight counted", || {
        tg.calls()
            .iter()
            .any(|c| c.chat() == user && c.text().contains("Получено фото: 8"))
    });
    let mark = tg.mark();
    tg.send_photo(user, "m-9", jpeg(120, 120), None, None);
    let refused = tg.wait_message(mark, user, "the ninth refused");
    assert!(refused.text().contains("максимум"), "{}", refused.text());
    let mark = tg.mark();
    tg.send_text(user, "коллаж");
    tg.wait_message(mark, user, "accepted");
    assert_eq!(
        submit(&fal, 2).input["image_urls"].as_array().map(Vec::len),
        Some(8)
    );
}

/// Retouch asks which preset, then an optional wish: «Усилить черты» with a wish reaches its edit
/// endpoint with both instructions; «Мягкая ретушь» with «Пропустить» reaches fal-ai/retoucher with
/// no words at all.
#[test]
fn retouch_presets_send_their_instruction_and_the_users_wish() {
    let (dir, tg, fal) = (
        Scratch::new("catalogue-retouch"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 2504;
    credit(&dir, user, "100");
    let _bot = common::jobs::start(&dir, &tg, &fal, &[]);

    let screen = press(&tg, user, "mode:retouch");
    let presets = buttons(&screen, "pick:");
    assert!(
        presets[0].0.starts_with("✓ Мягкая ретушь") && presets[1].0.starts_with("Усилить черты")
    );
    press(&tg, user, &presets[1].1);
    let mark = tg.mark();
    tg.send_photo(user, "face-1", jpeg(400, 400), None, None);
    let ask = tg.wait_message(mark, user, "the wish question");
    assert!(
        ask.buttons()
            .iter()
            .any(|(l, d)| l == "Пропустить" && d == "skip"),
        "{:?}",
        ask.buttons()
    );
    let mark = tg.mark();
    tg.send_text(user, "убери тёмные круги под глазами");
    tg.wait_message(mark, user, "accepted");
    let sent = submit(&fal, 0);
    assert_eq!(sent.endpoint, "fal-ai/nano-banana/edit");
    let prompt = sent.input["prompt"].as_str().unwrap_or_default();
    assert!(
        prompt.contains("Retouch this portrait") && prompt.contains("убери тёмные круги"),
        "{prompt}"
    );
    assert_eq!(sent.input["image_urls"].as_array().map(Vec::len), Some(1));

    press(&tg, user, "mode:retouch");
    press(&tg, user, &presets[0].1);
    let mark = tg.mark();
    tg.send_photo(user, "face-2", jpeg(400, 400), None, None);
    tg.wait_message(mark, user, "the wish question");
    let mark = tg.mark();
    tg.press(user, "skip");
    tg.wait_message(mark, user, "accepted");
    let sent = submit(&fal, 1);
    assert_eq!(sent.endpoint, "fal-ai/retoucher");
    assert!(sent.input.get("prompt").is_none(), "{}", sent.input);
    assert!(
        sent.input["image_url"]
            .as_str()
            .is_some_and(|u| u.starts_with("data:"))
    );
}

/// 📎 under a result sends the kept full-quality file as a document, free; with RESULTS_KEEP_DAYS=0
/// there is no 📎 (the file is gone once delivered).
#[test]
fn the_original_file_is_sent_while_it_is_kept() {
    let (dir, tg, fal) = (
        Scratch::new("catalogue-original"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 2505;
    credit(&dir, user, "100");
    let bot = common::jobs::start(&dir, &tg, &fal, &[]);
    common::jobs::generate(&tg, user, "маяк");
    wait_until(20, "the picture", || photos_to(&tg, user) == 1);
    let photo = last_photo(&tg, user);
    let original = photo
        .buttons()
        .into_iter()
        .find(|(l, _)| l == "📎 Оригинал файлом")
        .expect("📎");
    let before = balance(&dir, user);
    tg.press(user, &original.1);
    wait_until(20, "the original", || {
        tg.uploads()
            .iter()
            .any(|(m, c, _)| m == "senddocument" && *c == user)
    });
    let (_, _, bytes) = tg
        .uploads()
        .into_iter()
        .find(|(m, c, _)| m == "senddocument" && *c == user)
        .expect("document");
    assert_eq!(
        bytes,
        common::fake_fal::result_png(),
        "the file fal made, unchanged"
    );
    assert_eq!(balance(&dir, user), before, "📎 is free");
    drop(bot);

    let _bot = common::jobs::start(&dir, &tg, &fal, &[("RESULTS_KEEP_DAYS", "0")]);
    common::jobs::generate(&tg, user, "маяк ночью");
    wait_until(20, "the picture", || photos_to(&tg, user) == 2);
    let photo = last_photo(&tg, user);
    assert!(
        !photo.buttons().iter().any(|(_, d)| d.starts_with("orig:")),
        "{:?}",
        photo.buttons()
    );
    let results = dir.path().join("results");
    wait_until(10, "the delivered file removed", || {
        std::fs::read_dir(&results)
            .map(|d| d.count() == 1)
            .unwrap_or(false)
    });
}

/// `models` prints the catalogue with price, cost and margin; `check` fails on an endpoint fal does
/// not know and warns when a price is below its cost at FAL_USD_RUB.
#[test]
fn models_and_check_hold_the_catalogue_against_fal() {
    let (dir, fal) = (Scratch::new("catalogue-check"), FakeFal::start());
    let vars = |extra: &[(&'static str, String)]| {
        let mut v: Vec<(&'static str, String)> = vec![
            ("FAL_KEY", common::fake_fal::KEY.to_string()),
            ("FAL_API_URL", fal.url()),
            ("FAL_QUEUE_URL", fal.url()),
        ];
        v.extend(extra.iter().cloned());
        v
    };
    let out = common::media_lab(dir.path())
        .envs(vars(&[]))
        .arg("models")
        .output()
        .expect("models");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.lines().any(|l| l.contains("Nano Banana Pro")
            && l.contains("fal-ai/nano-banana-pro ")
            && l.contains("26.00")),
        "{text}"
    );

    fal.set_price("fal-ai/nano-banana-pro", 0.5);
    let file = dir.path().join("models.toml");
    let embedded =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/models.toml"))
            .expect("embedded catalogue");
    std::fs::write(
        &file,
        embedded.replace(
            "fal-ai/recraft/upscale/crisp",
            "fal-ai/does-not-exist/crisp",
        ),
    )
    .expect("file");
    let out = common::media_lab(dir.path())
        .envs(vars(&[("MODELS_FILE", file.to_string_lossy().to_string())]))
        .arg("check")
        .output()
        .expect("check");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !out.status.success(),
        "an unknown endpoint fails check: {text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("FAIL") && l.contains("fal-ai/does-not-exist/crisp")),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l.starts_with("WARN")
            && l.contains("Nano Banana Pro")
            && l.contains("loses money")),
        "$0.50 at 90 ₽ is 45 ₽, above 26 ₽: {text}"
    );
    // A broken catalogue stops the program with the file named.
    std::fs::write(&file, "[[model]]\nmode = \"paint\"\n").expect("file");
    let out = run(dir.path(), &["models"]);
    assert!(
        out.status.success(),
        "without MODELS_FILE the embedded one is used"
    );
    let out = common::media_lab(dir.path())
        .env("MODELS_FILE", &file)
        .arg("models")
        .output()
        .expect("models");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("MODELS_FILE"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A grey JPEG, so colours drawn on it are easy to find.
fn grey(w: u32, h: u32, v: u8) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([v, v, v]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("jpeg");
    out.into_inner()
}

/// The last picture the bot uploaded to `user` with `method`, decoded.
fn last_upload(tg: &FakeTelegram, user: i64, method: &str) -> image::RgbImage {
    let (_, _, bytes) = tg
        .uploads()
        .into_iter()
        .rfind(|(m, c, _)| m == method && *c == user)
        .expect("an upload");
    image::load_from_memory(&bytes)
        .expect("a picture")
        .to_rgb8()
}

fn share(img: &image::RgbImage, y0: f32, y1: f32, pick: impl Fn(&image::Rgb<u8>) -> bool) -> f32 {
    let (h, w) = (img.height() as f32, img.width());
    let rows = (y0 * h) as u32..(y1 * h) as u32;
    let n = rows.len() as f32 * w as f32;
    rows.flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|(x, y)| pick(img.get_pixel(*x, *y)))
        .count() as f32
        / n
}

/// Add text: the style is chosen on a preview that each press redraws in the same message, then ✅
/// renders the full picture — red at the top means red in the top third only; a typed wish with a
/// dark plate darkens the band behind the text; an emoji is drawn in colour.
#[test]
fn add_text_is_styled_on_a_live_preview() {
    let (dir, tg, fal) = (
        Scratch::new("catalogue-text"),
        FakeTelegram::start(),
        FakeFal::start(),
    );
    let user = 2506;
    let _bot = common::jobs::start(&dir, &tg, &fal, &[]);
    let red = |p: &image::Rgb<u8>| p.0[0] > 180 && p.0[1] < 110 && p.0[2] < 110;

    press(&tg, user, "mode:add_text");
    let mark = tg.mark();
    tg.send_photo(user, "g1", grey(600, 600, 128), Some("РАСПРОДАЖА"), None);
    let preview = tg.wait_call(mark, "the preview", |c| {
        c.method == "sendphoto" && c.chat() == user
    });
    let styles = buttons(&preview, "ts:");
    assert!(
        styles.iter().any(|(l, d)| l == "✓ M" && d == "ts:s:m")
            && styles.iter().any(|(_, d)| d == "ts:done"),
        "{styles:?}"
    );
    let mark = tg.mark();
    tg.press(user, "ts:c:red");
    tg.wait_call(mark, "the preview redrawn", |c| {
        c.method == "editmessagemedia" && c.chat() == user
    });
    let mark = tg.mark();
    tg.press(user, "ts:p:tc");
    tg.wait_call(mark, "the preview redrawn", |c| {
        c.method == "editmessagemedia"
    });
    let shown = last_upload(&tg, user, "editmessagemedia");
    assert!(
        share(&shown, 0.0, 0.34, red) > 0.01,
        "the preview shows red at the top"
    );
    let mark = tg.mark();
    tg.press(user, "ts:done");
    tg.wait_message(mark, user, "accepted");
    wait_until(20, "the picture", || photos_to(&tg, user) == 2);
    let made = last_upload(&tg, user, "sendphoto");
    assert_eq!(made.dimensions(), (600, 600), "full size");
    assert!(
        share(&made, 0.0, 0.34, red) > 0.01,
        "{}",
        share(&made, 0.0, 0.34, red)
    );
    assert_eq!(share(&made, 0.66, 1.0, red), 0.0);

    // A typed wish: large white text at the bottom on a dark plate; then an emoji.
    press(&tg, user, "mode:add_text");
    tg.send_photo(user, "g2", grey(600, 400, 200), Some("Скидка 50% 🔥"), None);
    wait_until(20, "the preview", || photos_to(&tg, user) == 3);
    let mark = tg.mark();
    tg.send_text(user, "крупный белый текст снизу на тёмной плашке");
    tg.wait_call(mark, "the new preview", |c| {
        c.method == "sendphoto" && c.chat() == user
    });
    let mark = tg.mark();
    tg.press(user, "ts:done");
    tg.wait_message(mark, user, "accepted");
    wait_until(20, "the picture", || photos_to(&tg, user) == 5);
    let made = last_upload(&tg, user, "sendphoto");
    let dark = |p: &image::Rgb<u8>| p.0[0] < 130 && p.0[1] < 130;
    assert!(
        share(&made, 0.7, 0.95, dark) > 0.3,
        "the plate darkens the band"
    );
    assert_eq!(share(&made, 0.0, 0.3, dark), 0.0, "the top is as it was");
    let orange = |p: &image::Rgb<u8>| p.0[0] > 200 && p.0[1] > 80 && p.0[1] < 200 && p.0[2] < 90;
    assert!(
        share(&made, 0.5, 1.0, orange) > 0.001,
        "the 🔥 is drawn in colour"
    );
    assert!(fal.submits().is_empty(), "add text never reaches fal");
}
