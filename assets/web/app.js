// The Mini App's launch: Telegram puts the signed launch data (tgWebAppData) in the URL fragment,
// which browsers never send to the server. This reads it and loads the gallery with it; the server
// checks its signature. No Telegram script from a CDN is needed.
(function () {
  var params = new URLSearchParams(location.hash.slice(1));
  var data = params.get("tgWebAppData");
  if (data && !/[?&]initData=/.test(location.search)) {
    location.replace("/app?initData=" + encodeURIComponent(data));
    return;
  }
  var hint = document.getElementById("nolaunch");
  if (hint && !data) hint.hidden = false;
})();
