// Live countdowns: each ".countdown[data-due]" is rendered by the server ("due in 5 hr
// 12 min"); this script only keeps it ticking, every 30 s, in the page's language.
// Without it the page still says how long was left when it was loaded. Time runs from
// the server's "now" (data-now), not the browser's clock: a wrong browser clock, or a
// page shown as at another instant, still counts down from what the server said.
"use strict";

(function () {
  var language = document.documentElement.lang || "en";
  function unit(n, name) {
    try {
      return new Intl.NumberFormat(language, { style: "unit", unit: name, unitDisplay: "short" }).format(n);
    } catch (e) {
      return n + " " + name;
    }
  }
  function left(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var parts = [["day", Math.floor(minutes / 1440)], ["hour", Math.floor(minutes % 1440 / 60)], ["minute", minutes % 60]];
    var shown = parts.filter(function (p) { return p[1] > 0; }).slice(0, 2);
    if (!shown.length) shown = [["minute", 0]];
    var sep = language.indexOf("zh") === 0 ? "" : " ";
    return shown.map(function (p) { return unit(p[1], p[0]); }).join(sep);
  }
  var loaded = Date.now();
  function tick() {
    var elapsed = Date.now() - loaded;
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var now = Date.parse(el.getAttribute("data-now") || "") + elapsed;
      if (isNaN(now)) return;
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var pattern = el.getAttribute(due >= now ? "data-due-in" : "data-overdue") || "{}";
      el.textContent = pattern.replace("{}", left(due - now));
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 30000);
  });
})();
