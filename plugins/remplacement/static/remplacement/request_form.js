/* Progressive enhancement of the pole's forms (everything works without it):
   - the staffing box is recomputed by the server as the director types the children and the team present;
   - empty extra rows (shifts, availability ranges) hide behind an « Ajouter » button. */
(function () {
  "use strict";
  var form = document.getElementById("rp-request-form");
  if (form && window.fetch && window.FormData) {
    var box = document.getElementById("rp-staffing");
    var timer = null;
    var refresh = function () {
      var data = new FormData(form);
      fetch(form.dataset.preview, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) { if (html !== null) { box.innerHTML = html; } })
        .catch(function () {});
    };
    form.addEventListener("input", function (event) {
      var name = event.target.name || "";
      if (/^(children_|staff_|ratio_mode|structure)/.test(name)) {
        clearTimeout(timer);
        timer = setTimeout(refresh, 300);
      }
    });
  }
  document.querySelectorAll(".rp-extra").forEach(function (row) {
    row.hidden = true;
  });
  document.querySelectorAll("fieldset").forEach(function (fieldset) {
    var hidden = fieldset.querySelectorAll(".rp-extra[hidden]");
    if (!hidden.length) { return; }
    var groups = {};
    hidden.forEach(function (row) {
      var day = row.closest(".rp-day") || fieldset;
      var key = day === fieldset ? "_" : Array.prototype.indexOf.call(fieldset.querySelectorAll(".rp-day"), day);
      (groups[key] = groups[key] || { parent: day, rows: [] }).rows.push(row);
    });
    Object.keys(groups).forEach(function (key) {
      var group = groups[key];
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary rp-add";
      button.textContent = group.parent.classList.contains("rp-day") ? "Ajouter une plage ce jour-là" : "Ajouter un créneau";
      button.addEventListener("click", function () {
        var next = group.rows.shift();
        if (next) { next.hidden = false; var input = next.querySelector("input"); if (input) { input.focus(); } }
        if (!group.rows.length) { button.remove(); }
      });
      group.parent.appendChild(button);
    });
  });
})();
