// The Mini App's launch: Telegram puts the signed launch data (tgWebAppData) in the URL fragment,
// which browsers never send to the server. This reads it and loads the gallery with it (the
// fragment goes along, still unsent); the server checks its signature. No Telegram script from a
// CDN is needed.
(function () {
  var params = new URLSearchParams(location.hash.slice(1));
  var data = params.get("tgWebAppData");
  if (data && !/[?&]initData=/.test(location.search)) {
    location.replace("/app?initData=" + encodeURIComponent(data) + location.hash);
    return;
  }
  var hint = document.getElementById("nolaunch");
  if (hint && !data) hint.hidden = false;

  // Inside Telegram 8.0 and later a download is Telegram's to make (its own file dialog): the
  // link is asked for with `web_app_request_file_download`. Elsewhere the link downloads itself.
  var version = parseFloat(params.get("tgWebAppVersion") || "0");
  if (version < 8) return;
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[download]");
    var proxy = window.TelegramWebviewProxy;
    var framed = window.parent !== window;
    if (!link || (!proxy && !framed)) return;
    event.preventDefault();
    var request = { url: link.href, file_name: link.getAttribute("download") };
    if (proxy) {
      proxy.postEvent("web_app_request_file_download", JSON.stringify(request));
    } else {
      window.parent.postMessage(
        JSON.stringify({ eventType: "web_app_request_file_download", eventData: request }),
        "https://web.telegram.org"
      );
    }
  });
})();
