/* Repeatable groups of the workflow forms: « Ajouter un élément » / « Retirer l'élément n ».
 *
 * The server renders each group (`workflows.forms.GroupWidget`) as rows of the group's own fields, a
 * `<template>` of an empty row and a hidden row counter; without this script the page already offers one empty
 * row more than it holds and the server enforces the bounds. The script reveals the buttons, adds and removes
 * rows within `data-min` / `data-max`, renumbers them, moves the focus to the row added (or to the button after
 * a removal) and says what happened in a polite live region. Loaded with `defer`; no inline script (CSP).
 */
(function () {
  "use strict";

  function rows(group) {
    return Array.prototype.slice.call(group.querySelectorAll(".ppe-group-rows > .ppe-group-row"));
  }

  function say(group, text) {
    var status = group.querySelector(".ppe-group-status");
    if (status) status.textContent = text;
  }

  function refresh(group) {
    var min = parseInt(group.getAttribute("data-min") || "0", 10) || 0;
    var max = parseInt(group.getAttribute("data-max") || "", 10);
    var list = rows(group);
    list.forEach(function (row, index) {
      var numbers = row.querySelectorAll(".ppe-group-number");
      for (var i = 0; i < numbers.length; i++) numbers[i].textContent = String(index + 1);
      var remove = row.querySelector(".ppe-group-remove");
      // the button's paragraph carries `hidden` (a button's own display style would override it)
      if (remove) remove.parentElement.hidden = list.length <= Math.max(min, 1);
    });
    var add = group.querySelector(".ppe-group-add");
    if (add) add.parentElement.hidden = !isNaN(max) && list.length >= max;
  }

  function addRow(group) {
    var template = group.querySelector("template.ppe-group-template");
    var counter = group.querySelector(".ppe-group-count");
    var index = parseInt(counter.value || "0", 10) || 0;
    var html = template.innerHTML.split("__index__").join(String(index)).split("__number__").join("");
    var holder = document.createElement("ol");
    holder.innerHTML = html;
    var row = holder.firstElementChild;
    group.querySelector(".ppe-group-rows").appendChild(row);
    counter.value = String(index + 1);
    refresh(group);
    var first = row.querySelector("input, select, textarea");
    if (first) first.focus();
    say(group, "Élément " + rows(group).length + " ajouté à « " + group.getAttribute("data-label") + " ».");
    group.dispatchEvent(new CustomEvent("ppe:rows", { bubbles: true }));
  }

  function removeRow(group, row) {
    var number = rows(group).indexOf(row) + 1;
    row.parentNode.removeChild(row);
    refresh(group);
    var add = group.querySelector(".ppe-group-add");
    var next = rows(group)[number - 1] || rows(group)[number - 2];
    var focus = next ? next.querySelector("input, select, textarea") : add;
    if (focus) focus.focus();
    say(group, "Élément " + number + " retiré de « " + group.getAttribute("data-label") + " ».");
    group.dispatchEvent(new CustomEvent("ppe:rows", { bubbles: true }));
  }

  function setUp(group) {
    group.addEventListener("click", function (event) {
      var button = event.target.closest("button");
      if (!button || !group.contains(button)) return;
      if (button.classList.contains("ppe-group-add")) {
        event.preventDefault();
        addRow(group);
      } else if (button.classList.contains("ppe-group-remove")) {
        event.preventDefault();
        removeRow(group, button.closest(".ppe-group-row"));
      }
    });
    // With the script, the extra empty rows the server added for a page without script are not needed.
    var min = Math.max(parseInt(group.getAttribute("data-min") || "0", 10) || 0, 1);
    var list = rows(group);
    for (var i = list.length - 1; i >= min; i--) {
      if (isEmpty(list[i])) list[i].parentNode.removeChild(list[i]);
      else break;
    }
    refresh(group);
  }

  function isEmpty(row) {
    var inputs = row.querySelectorAll("input, select, textarea");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) return false;
      } else if (input.value) {
        return false;
      }
    }
    return true;
  }

  function start() {
    var groups = document.querySelectorAll(".ppe-group[data-ppe-group]");
    for (var i = 0; i < groups.length; i++) setUp(groups[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
