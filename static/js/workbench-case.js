// The work page's composer: "Insert into the message" adds the chosen saved reply to the text where the cursor
// is, without sending the form. Without JavaScript the button sends the form and the page comes back with the
// reply added.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-insert-saved]");
  if (!button) return;
  const form = button.form;
  const select = form.querySelector("select[name=saved_reply]");
  const body = form.querySelector("textarea[name$=body]");
  const option = select && select.selectedOptions[0];
  if (!option || !body) return;
  event.preventDefault();
  const text = option.dataset.text;
  const start = body.selectionStart ?? body.value.length;
  const end = body.selectionEnd ?? body.value.length;
  const before = body.value.slice(0, start);
  const gap = before && !before.endsWith("\n\n") ? (before.endsWith("\n") ? "\n" : "\n\n") : "";
  body.value = before + gap + text + body.value.slice(end);
  body.focus();
  const caret = (before + gap + text).length;
  body.setSelectionRange(caret, caret);
});
