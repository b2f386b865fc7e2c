// Starts the InlinePanels of the definition screens (see workflows/panels.py): no inline script under the CSP.
document.addEventListener('DOMContentLoaded', () => {
  document.querySelectorAll('[data-ppe-inline-panel]').forEach((element) => {
    // eslint-disable-next-line no-new, no-undef
    new InlinePanel(JSON.parse(element.dataset.ppeInlinePanel));
  });
});
