// Clearinghouse pages: small enhancements of pages that work without this script.
"use strict";

// The browser's time zone, for visitors who are not signed in (a signed-in user's
// setting wins on the server). Only the zone's name is sent, in a cookie.
(function rememberZone() {
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone || zone.length > 64) return;
    var current = document.cookie.split("; ").find(function (c) { return c.indexOf("ch_tz=") === 0; });
    var value = encodeURIComponent(zone);
    if (current !== "ch_tz=" + value) {
      document.cookie = "ch_tz=" + value + "; path=/; max-age=31536000; samesite=lax";
    }
  } catch (e) { /* no Intl: the pages show UTC, named */ }
})();

// A link that carries its token in the fragment (#...), which browsers never send to a
// server: take it out of the address bar at once, then post it with the page's form,
// which exchanges it for a short-lived cookie.
document.addEventListener("DOMContentLoaded", function () {
  var form = document.querySelector("form[data-fragment-token]");
  if (!form || location.hash.length < 2) return;
  var token = decodeURIComponent(location.hash.slice(1));
  var prefix = form.getAttribute("data-fragment-token") || "";
  if (token.length < 20 || token.indexOf(prefix) !== 0) return;  // an anchor, not a token
  history.replaceState(null, "", location.pathname + location.search);
  var field = form.querySelector("input[name=token]");
  if (!field) return;
  field.value = token;
  form.submit();
});
