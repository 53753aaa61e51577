/* The eligibility-rule editor: a plain textarea over a backdrop that underlines the culprit of an error, a live
 * check while typing and a preview that never saves — both answered by the server as an HTML fragment
 * (welfare:rule_preview, template welfare/_rule_result.html). Without this script the form still works: the
 * Preview button posts the page and the server draws the same underline.
 * Error offsets from the server count characters (code points); JavaScript strings count UTF-16 units. */
(function () {
  "use strict";
  var form = document.getElementById("rule-form");
  var text = document.getElementById("rule-text");
  var backdrop = document.getElementById("rule-backdrop");
  var result = document.getElementById("rule-result");
  var status = document.getElementById("rule-status");
  if (!form || !text || !backdrop || !result || !window.fetch) { return; }
  var url = form.dataset.previewUrl;
  var token = form.querySelector("input[name=csrfmiddlewaretoken]");
  var editor = text.parentNode;
  var sequence = 0;
  var timer = null;

  function units(value, codePoints) { return Array.from(value).slice(0, codePoints).join("").length; }

  function fit() {
    var bar = text.offsetWidth - text.clientWidth - (parseFloat(getComputedStyle(text).borderLeftWidth) || 0) -
      (parseFloat(getComputedStyle(text).borderRightWidth) || 0);
    backdrop.style.width = text.offsetWidth + "px";
    backdrop.style.height = text.offsetHeight + "px";
    backdrop.style.paddingRight = "calc(" + getComputedStyle(text).paddingRight + " + " + Math.max(0, bar) + "px)";
    backdrop.scrollTop = text.scrollTop;
  }

  function clearMark() {
    backdrop.textContent = "";
    editor.classList.remove("has-error");
    text.removeAttribute("aria-invalid");
  }

  /* Underline [start, end) of the text (server offsets) and put the cursor there. */
  function mark(start, end, focus) {
    var value = text.value;
    var a = units(value, start);
    var b = Math.max(a, units(value, end));
    var culprit = value.slice(a, b);
    var blank = !culprit.trim();
    backdrop.textContent = "";
    backdrop.appendChild(document.createTextNode(value.slice(0, a)));
    var m = document.createElement("mark");
    m.className = "rule-culprit";
    m.setAttribute("data-testid", "rule-culprit");
    m.textContent = blank ? " " : culprit;
    backdrop.appendChild(m);
    backdrop.appendChild(document.createTextNode((blank ? value.slice(a) : value.slice(b)) + "\n"));
    editor.classList.add("has-error");
    text.setAttribute("aria-invalid", "true");
    fit();
    if (focus) {
      text.focus();
      text.setSelectionRange(a, blank ? a : b);
    }
  }

  function markFrom(container, focus) {
    var err = container.querySelector("[data-error-start]");
    if (err) { mark(parseInt(err.dataset.errorStart, 10), parseInt(err.dataset.errorEnd, 10), focus); }
    return err;
  }

  function ask(what) {
    var mine = ++sequence;
    var body = new URLSearchParams();  // not FormData: multipart would turn "\n" into "\r\n" and shift offsets
    body.set("rule", text.value);
    body.set("do", what);
    if (token) { body.set("csrfmiddlewaretoken", token.value); }
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "X-Requested-With": "fetch" },
      body: body
    }).then(function (response) {
      return response.text().then(function (html) { return { ok: response.ok, status: response.status, html: html }; });
    }).then(function (answer) {
      if (mine !== sequence) { return null; }  // the text changed since: a newer answer is on its way
      if (answer.status >= 500 || answer.status === 403 || answer.status === 404) { throw new Error("HTTP " + answer.status); }
      var fragment = document.createElement("div");
      fragment.innerHTML = answer.html;
      return fragment;
    });
  }

  function check() {
    ask("check").then(function (fragment) {
      if (!fragment) { return; }
      var ok = fragment.querySelector("[data-testid=rule-ok]");
      var box = result.querySelector("[data-testid=rule-error-box]");
      if (ok) {
        if (box) { box.remove(); }
        clearMark();
        status.textContent = ok.textContent;
        status.dataset.state = "ok";
      } else {
        var shown = result.querySelector("[data-testid=preview-result]");
        result.innerHTML = "";
        Array.from(fragment.childNodes).forEach(function (n) { result.appendChild(n); });
        if (shown) { shown.classList.add("stale"); result.appendChild(shown); }
        status.textContent = "";
        status.dataset.state = "error";
        markFrom(result, false);
      }
    }).catch(function () { status.textContent = ""; });
  }

  text.addEventListener("input", function () {
    clearMark();
    var shown = result.querySelector("[data-testid=preview-result]");
    if (shown) { shown.classList.add("stale"); }
    status.textContent = "…";
    status.dataset.state = "";
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 400);
  });
  text.addEventListener("scroll", function () { backdrop.scrollTop = text.scrollTop; });
  window.addEventListener("resize", fit);
  if (window.ResizeObserver) { new window.ResizeObserver(fit).observe(text); }

  form.addEventListener("submit", function (event) {
    var button = event.submitter;
    if (!button || button.value !== "preview") { return; }  // saving posts the page as usual
    event.preventDefault();
    window.clearTimeout(timer);
    status.textContent = "…";
    ask("preview").then(function (fragment) {
      if (!fragment) { return; }
      result.innerHTML = "";
      Array.from(fragment.childNodes).forEach(function (n) { result.appendChild(n); });
      status.textContent = "";
      status.dataset.state = "";
      if (!markFrom(result, true)) { clearMark(); }
      result.dataset.loaded = String(sequence);
    }).catch(function () { form.submit(); });  // the fragment could not be had: post the page instead
  });

  fit();
  markFrom(result, false);  // the page came back from a post with an error: underline it here too
}());
