/* The case page: the rich-text editor, pasted images, attachment checks and small helpers.

   Progressive enhancement: without this script every form still works (plain text posts, native file input,
   <details> disclosures). With it, each <textarea data-editor="rich"> becomes a Squire editor (vendored, MIT)
   with a toolbar; pasted or inserted images are sent as files with the post and referred to in its text as
   /attachments/new/<i>, which the server replaces by their download URLs. The server sanitizes everything
   again (nh3) and enforces every limit; the checks here only give a faster answer. No inline script or style:
   everything is set through the DOM, which the portal's Content-Security-Policy allows. */
(function () {
  "use strict";

  var ALLOWED_TAGS = ["p", "br", "strong", "b", "em", "i", "u", "s", "ul", "ol", "li", "a", "blockquote",
    "code", "pre", "h3", "h4", "img"];
  var IMAGE_TYPES = { "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp" };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) { return (bytes / (1024 * 1024)).toFixed(1) + " MB"; }
    if (bytes >= 1024) { return Math.round(bytes / 1024) + " KB"; }
    return bytes + " bytes";
  }

  function escapeText(text) {
    var div = el("div");
    div.textContent = text;
    return div.innerHTML;
  }

  // What the editor accepts from a paste or from setHTML: our allow-list, images only from our own files.
  function cleanFragment(html) {
    var fragment = window.DOMPurify.sanitize(html, {
      ALLOWED_TAGS: ALLOWED_TAGS,
      ALLOWED_ATTR: ["href", "title", "src", "alt"],
      RETURN_DOM_FRAGMENT: true
    });
    Array.prototype.forEach.call(fragment.querySelectorAll("img"), function (img) {
      var src = img.getAttribute("src") || "";
      if (src.indexOf("/attachments/") !== 0) { img.remove(); }
    });
    return document.importNode(fragment, true);
  }

  function clientError(container, message) {
    var box = container.querySelector("[data-client-error]");
    if (!message) {
      if (box) { box.remove(); }
      return;
    }
    if (!box) {
      box = el("div", "field-error");
      box.setAttribute("data-client-error", "");
      box.setAttribute("role", "alert");
      container.appendChild(box);
    }
    box.textContent = message;
  }

  // ---- the composer ----------------------------------------------------------------------------------------

  function Composer(form) {
    this.form = form;
    this.maxFiles = parseInt(form.getAttribute("data-max-files") || "10", 10);
    this.maxBytes = parseInt(form.getAttribute("data-max-bytes") || String(15 * 1024 * 1024), 10);
    this.textarea = form.querySelector("textarea[data-editor='rich']");
    this.format = form.querySelector("input[name='format']");
    this.fileInput = form.querySelector("input[type='file'][name='attachments']");
    this.pastedInput = form.querySelector("input[data-pasted-files]");
    this.fileList = form.querySelector("[data-file-list]");
    this.pasted = {};
    this.seq = 0;
    this.submitting = false;
    if (this.textarea && window.Squire && window.DOMPurify) { this.buildEditor(); }
    if (this.fileInput) {
      this.fileInput.addEventListener("change", this.showFiles.bind(this));
    }
    form.addEventListener("submit", this.onSubmit.bind(this));
    var composer = this;
    window.addEventListener("pageshow", function () { composer.setBusy(false); });
  }

  Composer.prototype.buildEditor = function () {
    var textarea = this.textarea;
    var composer = this;
    var label = this.form.querySelector("label[for='" + textarea.id + "']");
    var wrapper = el("div", "editor");
    var toolbar = el("div", "editor__toolbar");
    var area = el("div", "editor__area");
    toolbar.setAttribute("role", "toolbar");
    toolbar.setAttribute("aria-label", "Formatting");
    toolbar.setAttribute("aria-controls", textarea.id + "_editor");
    area.id = textarea.id + "_editor";
    area.setAttribute("role", "textbox");
    area.setAttribute("aria-multiline", "true");
    if (label) {
      if (!label.id) { label.id = textarea.id + "_label"; }
      area.setAttribute("aria-labelledby", label.id);
      area.setAttribute("data-placeholder", label.textContent.replace(/\*/g, "").trim() + "…");
      label.addEventListener("click", function (event) { event.preventDefault(); composer.editor.focus(); });
    }
    if (textarea.getAttribute("aria-describedby")) {
      area.setAttribute("aria-describedby", textarea.getAttribute("aria-describedby"));
    }
    if (textarea.getAttribute("aria-invalid")) { area.setAttribute("aria-invalid", "true"); }

    var linkbar = this.buildLinkbar();
    wrapper.appendChild(toolbar);
    wrapper.appendChild(linkbar);
    wrapper.appendChild(area);
    textarea.parentNode.insertBefore(wrapper, textarea);
    textarea.hidden = true;

    var editor = new window.Squire(area, {
      blockTag: "P",
      sanitizeToDOMFragment: cleanFragment
    });
    // Squire's image-resize handles set style attributes, which our CSP refuses; images keep their size.
    if (editor._imageResizer) { editor._imageResizer.destroy(); }
    this.editor = editor;
    this.area = area;

    var initial = textarea.value;
    if (initial) {
      if (this.format && this.format.value === "html") {
        editor.setHTML(initial);
      } else {
        editor.setHTML(initial.split(/\n{2,}/).map(function (para) {
          return "<p>" + escapeText(para).replace(/\n/g, "<br>") + "</p>";
        }).join(""));
      }
    }

    var buttons = [
      { key: "bold", text: "B", label: "Bold", className: "tb-bold", tag: "B",
        run: function () { if (editor.hasFormat("B")) { editor.removeBold(); } else { editor.bold(); } } },
      { key: "italic", text: "I", label: "Italic", className: "tb-italic", tag: "I",
        run: function () { if (editor.hasFormat("I")) { editor.removeItalic(); } else { editor.italic(); } } },
      null,
      { key: "ul", text: "• List", label: "Bulleted list", tag: "UL",
        run: function () { if (editor.hasFormat("UL")) { editor.removeList(); } else { editor.makeUnorderedList(); } } },
      { key: "ol", text: "1. List", label: "Numbered list", tag: "OL",
        run: function () { if (editor.hasFormat("OL")) { editor.removeList(); } else { editor.makeOrderedList(); } } },
      null,
      { key: "link", text: "Link", label: "Link", tag: "A", run: function () { composer.openLinkbar(); } },
      { key: "image", text: "Image", label: "Insert an image", run: function () { composer.imagePicker.click(); } }
    ];
    if (!this.pastedInput) { buttons.pop(); }  // a form without files (re-open) takes no images
    this.toggles = [];
    buttons.forEach(function (spec) {
      if (!spec) { toolbar.appendChild(el("span", "sep")); return; }
      var button = el("button", spec.className || "", spec.text);
      button.type = "button";
      button.setAttribute("aria-label", spec.label);
      button.title = spec.label;
      if (spec.tag) {
        button.setAttribute("aria-pressed", "false");
        composer.toggles.push({ button: button, tag: spec.tag });
      }
      button.addEventListener("click", function () { spec.run(); composer.refresh(); });
      toolbar.appendChild(button);
    });

    this.imagePicker = el("input");
    this.imagePicker.type = "file";
    this.imagePicker.accept = Object.keys(IMAGE_TYPES).join(",");
    this.imagePicker.hidden = true;
    this.imagePicker.tabIndex = -1;
    this.imagePicker.setAttribute("aria-hidden", "true");
    this.imagePicker.addEventListener("change", function () {
      Array.prototype.forEach.call(composer.imagePicker.files, function (file) { composer.addImage(file); });
      composer.imagePicker.value = "";
    });
    wrapper.appendChild(this.imagePicker);

    editor.addEventListener("pathChange", this.refresh.bind(this));
    editor.addEventListener("input", this.refresh.bind(this));
    editor.addEventListener("pasteImage", function (event) {
      if (!composer.pastedInput) { return; }
      var items = (event.detail && event.detail.clipboardData && event.detail.clipboardData.items) || [];
      Array.prototype.forEach.call(items, function (item) {
        if (item.kind === "file" && item.type.indexOf("image/") === 0) { composer.addImage(item.getAsFile()); }
      });
    });
    area.addEventListener("drop", function (event) {
      var files = event.dataTransfer && event.dataTransfer.files;
      if (!files || !files.length) { return; }
      event.preventDefault();
      var others = [];
      Array.prototype.forEach.call(files, function (file) {
        if (IMAGE_TYPES[file.type] && composer.pastedInput) { composer.addImage(file); } else { others.push(file); }
      });
      if (others.length) { composer.addAttachments(others); }
    });
    this.refresh();
  };

  Composer.prototype.buildLinkbar = function () {
    var composer = this;
    var bar = el("div", "editor__linkbar");
    var id = this.textarea.id + "_link";
    var label = el("label", "", "Link address");
    var input = el("input");
    var apply = el("button", "button button--small", "Apply");
    var remove = el("button", "button button--small button--secondary", "Remove link");
    var cancel = el("button", "button-link small", "Cancel");
    label.htmlFor = id;
    input.id = id;
    input.type = "url";
    input.placeholder = "https://";
    [apply, remove, cancel].forEach(function (b) { b.type = "button"; });
    bar.hidden = true;
    bar.appendChild(label);
    bar.appendChild(input);
    bar.appendChild(apply);
    bar.appendChild(remove);
    bar.appendChild(cancel);
    function close() { bar.hidden = true; composer.editor.focus(); }
    apply.addEventListener("click", function () {
      var url = input.value.trim();
      if (url && !/^(https?:|mailto:)/i.test(url)) { url = (url.indexOf("@") > 0 ? "mailto:" : "https://") + url; }
      if (url) { composer.editor.makeLink(url); }
      close();
      composer.refresh();
    });
    remove.addEventListener("click", function () { composer.editor.removeLink(); close(); composer.refresh(); });
    cancel.addEventListener("click", close);
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); apply.click(); }
      if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    this.linkbar = { bar: bar, input: input, remove: remove };
    return bar;
  };

  Composer.prototype.openLinkbar = function () {
    var inLink = this.editor.hasFormat("A");
    this.linkbar.remove.hidden = !inLink;
    this.linkbar.input.value = "";
    if (inLink) {
      var range = this.editor.getSelection();
      var node = range && range.startContainer;
      while (node && node !== this.area) {
        if (node.nodeName === "A") { this.linkbar.input.value = node.getAttribute("href") || ""; break; }
        node = node.parentNode;
      }
    }
    this.linkbar.bar.hidden = false;
    this.linkbar.input.focus();
  };

  Composer.prototype.refresh = function () {
    var editor = this.editor;
    if (!editor) { return; }
    this.toggles.forEach(function (t) {
      t.button.setAttribute("aria-pressed", editor.hasFormat(t.tag) ? "true" : "false");
    });
    this.area.classList.toggle("is-empty", this.isEmpty());
  };

  Composer.prototype.isEmpty = function () {
    return !this.area.textContent.trim() && !this.area.querySelector("img");
  };

  Composer.prototype.pastedImages = function () {
    return this.area ? this.area.querySelectorAll("img[data-paste-id]") : [];
  };

  Composer.prototype.fileCount = function () {
    return (this.fileInput ? this.fileInput.files.length : 0) + this.pastedImages().length;
  };

  Composer.prototype.addImage = function (file) {
    var field = this.textarea.closest(".field") || this.form;
    if (!file) { return; }
    if (!IMAGE_TYPES[file.type]) {
      clientError(field, "Only PNG, JPEG, GIF and WebP images can be pasted; attach other files with Attach files.");
      return;
    }
    if (file.size > this.maxBytes) {
      clientError(field, "That image is " + formatSize(file.size) + "; each file may be at most " + formatSize(this.maxBytes) + ".");
      return;
    }
    if (this.fileCount() >= this.maxFiles) {
      clientError(field, "A post can have at most " + this.maxFiles + " files, pasted images included.");
      return;
    }
    clientError(field, "");
    this.seq += 1;
    var id = "p" + this.seq;
    var named = new File([file], "pasted-image-" + this.seq + IMAGE_TYPES[file.type], { type: file.type });
    this.pasted[id] = named;
    var editor = this.editor;
    var composer = this;
    var reader = new FileReader();
    reader.onload = function () {
      editor.insertImage(reader.result, { alt: "Pasted image", "data-paste-id": id });
      composer.refresh();
    };
    reader.readAsDataURL(named);
  };

  Composer.prototype.addAttachments = function (files) {
    if (!this.fileInput || typeof DataTransfer === "undefined") { return; }
    var transfer = new DataTransfer();
    Array.prototype.forEach.call(this.fileInput.files, function (f) { transfer.items.add(f); });
    files.forEach(function (f) { transfer.items.add(f); });
    this.fileInput.files = transfer.files;
    this.showFiles();
  };

  Composer.prototype.allowedExtension = function (name) {
    var accept = (this.fileInput.getAttribute("accept") || "").toLowerCase().split(",");
    var dot = name.lastIndexOf(".");
    return dot > 0 && accept.indexOf(name.slice(dot).toLowerCase()) >= 0;
  };

  // The chosen files with their sizes; returns the first problem, if any.
  Composer.prototype.showFiles = function () {
    var composer = this;
    var problem = "";
    if (!this.fileInput) { return problem; }
    var list = this.fileList;
    if (list) { list.textContent = ""; }
    Array.prototype.forEach.call(this.fileInput.files, function (file) {
      var bad = "";
      if (file.size > composer.maxBytes) { bad = "larger than " + formatSize(composer.maxBytes); }
      else if (!composer.allowedExtension(file.name)) { bad = "this type of file is not accepted"; }
      else if (file.size === 0) { bad = "empty"; }
      if (bad && !problem) { problem = file.name + ": " + bad + "."; }
      if (list) {
        var item = el("li", bad ? "is-bad" : "");
        item.appendChild(el("span", "", file.name));
        item.appendChild(el("span", "muted", bad || formatSize(file.size)));
        list.appendChild(item);
      }
    });
    if (!problem && this.fileCount() > this.maxFiles) {
      problem = "A post can have at most " + this.maxFiles + " files (you chose " + this.fileCount() + ").";
    }
    clientError(this.fileInput.closest(".field") || this.form, problem);
    return problem;
  };

  Composer.prototype.setBusy = function (busy) {
    this.submitting = busy;
    Array.prototype.forEach.call(this.form.querySelectorAll("button[type='submit']"), function (b) {
      b.disabled = busy;
      b.setAttribute("aria-disabled", busy ? "true" : "false");
    });
  };

  Composer.prototype.onSubmit = function (event) {
    if (this.submitting) { event.preventDefault(); return; }  // a second click while the first is sent
    if (this.fileInput && this.showFiles()) { event.preventDefault(); return; }
    if (this.editor) {
      var template = document.createElement("template");
      template.innerHTML = this.editor.getHTML();
      var transfer = typeof DataTransfer !== "undefined" ? new DataTransfer() : null;
      var index = 0;
      var composer = this;
      Array.prototype.forEach.call(template.content.querySelectorAll("img"), function (img) {
        var id = img.getAttribute("data-paste-id");
        if (id && composer.pasted[id] && transfer && composer.pastedInput) {
          transfer.items.add(composer.pasted[id]);
          img.setAttribute("src", "/attachments/new/" + index);
          img.removeAttribute("data-paste-id");
          index += 1;
        } else if ((img.getAttribute("src") || "").indexOf("/attachments/") !== 0) {
          img.remove();
        }
      });
      if (this.pastedInput && transfer) { this.pastedInput.files = transfer.files; }
      this.textarea.value = this.isEmpty() ? "" : template.innerHTML;
      if (this.format) { this.format.value = "html"; }
    }
    var composer2 = this;
    window.setTimeout(function () { composer2.setBusy(true); }, 0);
  };

  // ---- small helpers -----------------------------------------------------------------------------------------

  // Disclosures (status meaning, close confirmation) close with Escape or a click elsewhere (WCAG 1.4.13).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    Array.prototype.forEach.call(document.querySelectorAll("details[data-dismissable][open]"), function (d) {
      d.removeAttribute("open");
      var summary = d.querySelector("summary");
      if (summary && d.contains(document.activeElement)) { summary.focus(); }
    });
  });
  document.addEventListener("click", function (event) {
    Array.prototype.forEach.call(document.querySelectorAll("details[data-dismissable][open]"), function (d) {
      if (!d.contains(event.target)) { d.removeAttribute("open"); }
    });
  });

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-composer]"), function (form) {
      form.composer = new Composer(form);
    });
    // "Re-open case" in the top panel jumps to the form and puts the cursor in its editor.
    Array.prototype.forEach.call(document.querySelectorAll("a[href='#reopen']"), function (link) {
      link.addEventListener("click", function () {
        var form = document.querySelector("#reopen form[data-composer]");
        if (form && form.composer && form.composer.editor) {
          window.setTimeout(function () { form.composer.editor.focus(); }, 0);
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
}());
