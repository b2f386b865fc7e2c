/* Live conditional fields of the workflow forms (back office, public request form, portals).
 *
 * Every input of a workflow form names its field (`data-ppe-code`); a field shown only under a condition
 * carries the condition's description (`data-ppe-visible-if`, written by `workflows.conditions.condition_rule`
 * from the rows of the condition builder): {"join": "and"|"or", "rows": [{"field", "type", "op", "value"}]}.
 * As the person types, each such field is shown or hidden (`hidden`, so screen readers skip it too) and the
 * change is announced in a polite live region. Conditions written in advanced CEL carry no description: the
 * field stays shown and the server decides, as it always does on submission (with or without this script).
 * No inline script, no dependency: loaded with `defer` under the CSP `script-src 'self'`.
 */
(function () {
  "use strict";

  var NUMBER = { integer: true, decimal: true, money: true };
  var DATE = { date: true, datetime: true };

  function wrapperOf(element) {
    return element.closest(".ppe-field, .field, .w-field__wrapper") || element;
  }

  function hiddenAncestor(element, form) {
    var node = element;
    while (node && node !== form) {
      if (node.hidden) return true;
      node = node.parentElement;
    }
    return false;
  }

  function fieldValue(form, code) {
    // The value of a field as the server would read it; a hidden field counts as empty.
    var inputs = form.querySelectorAll('[data-ppe-code="' + code + '"]');
    var values = [];
    var list = false;
    var rows = form.querySelector('[data-ppe-group="' + code + '"]');
    if (rows) {
      return { list: true, values: Array.prototype.slice.call(rows.querySelectorAll(".ppe-group-row:not([hidden])")).filter(rowFilled) };
    }
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (hiddenAncestor(input, form)) continue;
      if (input.type === "checkbox") {
        list = true;
        if (input.checked) values.push(input.value);
      } else if (input.type === "radio") {
        if (input.checked) values.push(input.value);
      } else if (input.type === "file") {
        if (input.files && input.files.length) values.push(input.files[0].name);
      } else if (input.tagName === "SELECT" && input.multiple) {
        list = true;
        for (var j = 0; j < input.selectedOptions.length; j++) values.push(input.selectedOptions[j].value);
      } else if (input.value !== undefined && input.value !== "") {
        values.push(input.value);
      }
    }
    return { list: list, values: values };
  }

  function rowFilled(row) {
    var inputs = row.querySelectorAll("input, select, textarea");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "checkbox" || input.type === "radio") {
        if (input.checked) return true;
      } else if (input.type !== "hidden" && input.value) {
        return true;
      }
    }
    return false;
  }

  function number(text) {
    var n = parseFloat(String(text).replace(/\s|\u202f/g, "").replace(",", "."));
    return isNaN(n) ? null : n;
  }

  function isoDay(text) {
    var match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})/.exec(text);
    if (match) {
      return match[3] + "-" + ("0" + match[2]).slice(-2) + "-" + ("0" + match[1]).slice(-2);
    }
    return /^\d{4}-\d{2}-\d{2}/.test(text) ? text : null;
  }

  function today() {
    var d = new Date();
    return d.getFullYear() + "-" + ("0" + (d.getMonth() + 1)).slice(-2) + "-" + ("0" + d.getDate()).slice(-2);
  }

  function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function rowTrue(form, row) {
    var read = fieldValue(form, row.field);
    var values = read.values;
    var filled = values.length > 0;
    if (row.op === "filled") return filled;
    if (row.op === "empty") return !filled;
    if (row.op === "count_ge") return values.length >= row.value;
    if (row.op === "count_le") return values.length <= row.value;
    if (row.op === "has") return values.indexOf(row.value) >= 0;
    if (row.op === "has_not") return filled && values.indexOf(row.value) < 0;
    if (!filled) return row.op === "ne";
    var value = values[0];
    if (row.op === "yes") return value === "true";
    if (row.op === "no") return value === "false";
    if (row.op === "contains") return String(value).indexOf(row.value) >= 0;
    var order;
    if (NUMBER[row.type]) {
      var n = number(value);
      if (n === null) return false;
      order = compare(n, row.value);
    } else if (DATE[row.type]) {
      var day = isoDay(value);
      if (day === null) return false;
      if (row.op === "past") return day.slice(0, 10) < today();
      if (row.op === "future") return day.slice(0, 10) > today();
      // A date-time against a day compares with that day's midnight: "2026-01-01T10:00" > "2026-01-01".
      order = compare(row.type === "datetime" ? day : day.slice(0, 10), row.value);
    } else {
      order = value === row.value ? 0 : 1;
    }
    switch (row.op) {
      case "eq":
      case "date_eq":
        return order === 0;
      case "ne":
        return order !== 0;
      case "gt":
      case "after":
        return order > 0;
      case "ge":
      case "from":
        return order >= 0;
      case "lt":
      case "before":
        return order < 0;
      case "le":
      case "until":
        return order <= 0;
      default:
        return true; // an operator this script does not know: leave the field shown, the server decides
    }
  }

  function ruleTrue(form, rule) {
    var results = rule.rows.map(function (row) {
      return rowTrue(form, row);
    });
    return rule.join === "or" ? results.indexOf(true) >= 0 : results.indexOf(false) < 0;
  }

  function liveRegion(form) {
    var region = form.querySelector(".ppe-live-region");
    if (!region) {
      region = document.createElement("div");
      region.className = "ppe-live-region visually-hidden w-sr-only";
      region.setAttribute("aria-live", "polite");
      region.setAttribute("role", "status");
      form.insertBefore(region, form.firstChild);
    }
    return region;
  }

  function conditionalItems(form) {
    // One entry per field (a choice list has one input per option; the first carries the description).
    var items = [];
    var nodes = form.querySelectorAll("[data-ppe-visible-if]");
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      var wrapper = wrapperOf(node);
      if (wrapper.__ppeCondition) continue;
      try {
        wrapper.__ppeCondition = JSON.parse(node.getAttribute("data-ppe-visible-if"));
      } catch (e) {
        continue;
      }
      wrapper.__ppeLabel = node.getAttribute("data-ppe-label") || "";
      items.push(wrapper);
    }
    return items;
  }

  function update(form, items, announce) {
    var messages = [];
    items.forEach(function (wrapper) {
      // In document order: a field hidden above counts as empty for the conditions below, as on the server.
      var show = ruleTrue(form, wrapper.__ppeCondition);
      if (wrapper.hidden === !show) return;
      wrapper.hidden = !show;
      if (show) wrapper.removeAttribute("aria-hidden");
      else wrapper.setAttribute("aria-hidden", "true");
      if (wrapper.__ppeLabel) {
        messages.push((show ? "Champ affiché : « " : "Champ masqué : « ") + wrapper.__ppeLabel + " »");
      }
    });
    if (announce && messages.length) liveRegion(form).textContent = messages.join(". ") + ".";
  }

  function setUp(form) {
    var items = conditionalItems(form);
    if (!items.length) return;
    liveRegion(form);
    update(form, items, false);
    var refresh = function () {
      update(form, items, true);
    };
    form.addEventListener("input", refresh);
    form.addEventListener("change", refresh);
    form.addEventListener("ppe:rows", refresh);
  }

  function start() {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) setUp(forms[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
