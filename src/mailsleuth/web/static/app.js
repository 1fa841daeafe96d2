// mailsleuth page: paste or drop a mail, show the verdict and details. Every value from the
// mail is put into the page with textContent only (never as HTML).
"use strict";
(function () {
  const T = {
    ja: {
      skip: "本文へ移動", tagline: "このメールはフィッシング詐欺？ ソースを貼り付けるか、ファイルをドロップしてください。",
      inputHead: "メール", fileLabel: ".eml ファイルを選ぶか、ここにドロップ",
      pasteLabel: "…またはメールのソース（ヘッダーと本文すべて）を貼り付け", tokenLabel: "アクセストークン",
      analyse: "調べる", helpHead: "メールのソースの取り出し方",
      helpGmail: "メールを開き、右上の「︙」（その他）→「メッセージのソースを表示」→「元のメッセージをダウンロード」で .eml を保存、または「クリップボードにコピー」して貼り付け。",
      helpOutlook: "Outlook.com / 新しい Outlook: メールの「…」→「表示」→「メッセージのソースを表示」を開いてすべてコピー。デスクトップ版: メールをデスクトップにドラッグすると .msg、「ファイル」→「名前を付けて保存」でテキストも可（ヘッダーは「プロパティ」→「インターネット ヘッダー」）。",
      helpThunderbird: "メールを選び「表示」→「メッセージのソース」（Ctrl+U）で全文をコピー、または「ファイル」→「名前を付けて保存」→「ファイル」で .eml を保存。",
      helpIphone: "iPhone のメールアプリはソースを表示できません。同じアカウントをパソコンの Gmail / Outlook / Thunderbird で開いてソースを取り出すか、メールを「添付ファイルとして転送」してください（普通の転送ではヘッダーが失われます）。",
      adviceHead: "どうすればよいか", downloads: "ダウンロード:", dlHtml: "記事 (HTML)", dlMd: "記事 (Markdown)",
      tabFindings: "判定の理由", tabSender: "差出人とヘッダー", tabRoute: "経路と地図", tabLinks: "リンク",
      tabBody: "本文", tabRaw: "ソース", historyHead: "履歴", clear: "すべて削除",
      footer: "このサーバー以外にはなにも送りません。リンクは無害化して表示します（hxxps, [.]）。",
      verdicts: {phishing: "フィッシング詐欺", spam: "迷惑メール", suspicious: "要注意", clean: "危険な兆候なし"},
      brandImp: "なりすまされているブランド: ", brandSender: "送信元ブランド: ",
      working: "調べています…", empty: "メールのソースを貼り付けるか、ファイルを選んでください。",
      tooLarge: "大きすぎます: ", needToken: "このサーバーにはアクセストークンが必要です。", error: "エラー: ",
      done: "判定しました: ", points: "点", from: "From", replyTo: "Reply-To", returnPath: "Return-Path",
      messageId: "Message-ID", listId: "List-ID", sender: "差出人", origin: "送信元", none: "なし",
      noLinks: "リンクはありません。", noBody: "本文はありません。", attachments: "添付ファイル: ",
      del: "削除", open: "開く", confirmClear: "履歴をすべて削除しますか？", score: "スコア",
    },
    en: {
      skip: "Skip to content", tagline: "Is this mail phishing? Paste its source or drop the file here.",
      inputHead: "The mail", fileLabel: "Choose an .eml file, or drop it here",
      pasteLabel: "…or paste the source of the mail (all its headers and body)", tokenLabel: "Access token",
      analyse: "Analyse", helpHead: "How do I get the source of a mail?",
      helpGmail: "Open the mail, click ⋮ (More) at the top right → “Show original” → “Download original” to save an .eml, or “Copy to clipboard” and paste it here.",
      helpOutlook: "Outlook.com / new Outlook: the mail's … menu → View → “View message source”, copy it all. Classic desktop Outlook: drag the mail to the desktop (.msg), or File → Properties → “Internet headers” for the headers.",
      helpThunderbird: "Select the mail, View → “Message Source” (Ctrl+U) and copy everything, or File → Save As → File to save an .eml.",
      helpIphone: "iPhone Mail cannot show the source. Open the same account in Gmail, Outlook or Thunderbird on a computer, or forward the mail as an attachment (a plain forward loses the headers).",
      adviceHead: "What to do", downloads: "Download:", dlHtml: "Article (HTML)", dlMd: "Article (Markdown)",
      tabFindings: "Findings", tabSender: "Sender & headers", tabRoute: "Route & map", tabLinks: "Links",
      tabBody: "Body", tabRaw: "Source", historyHead: "History", clear: "Delete all",
      footer: "Nothing is sent anywhere but this server. Links are shown defanged (hxxps, [.]).",
      verdicts: {phishing: "Phishing", spam: "Spam", suspicious: "Suspicious", clean: "No sign of danger"},
      brandImp: "Brand impersonated: ", brandSender: "Sender's brand: ",
      working: "Analysing…", empty: "Paste the source of a mail or choose a file first.",
      tooLarge: "Too large: ", needToken: "This server needs an access token.", error: "Error: ",
      done: "Done: ", points: "points", from: "From", replyTo: "Reply-To", returnPath: "Return-Path",
      messageId: "Message-ID", listId: "List-ID", sender: "Sender", origin: "Origin", none: "none",
      noLinks: "No links.", noBody: "No body.", attachments: "Attachments: ",
      del: "Delete", open: "Open", confirmClear: "Delete the whole history?", score: "score",
    },
  };
  const $ = (id) => document.getElementById(id);
  let lang = (function () {
    try { const saved = window.localStorage.getItem("mailsleuth-lang"); if (saved === "ja" || saved === "en") return saved; } catch (e) { /* storage off */ }
    return document.documentElement.lang === "ja" ? "ja" : "en";
  })();
  let intel = false;
  let current = null; // {report, display, raw}

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function t(key) { return T[lang][key]; }

  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
    document.querySelectorAll("button.lang").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.lang === lang)));
    setStatus("");
    if (current) showReport();
  }

  function headers() {
    const h = {};
    const tok = $("token").value;
    if (tok) h.Authorization = "Bearer " + tok;
    return h;
  }

  async function api(path, opts) {
    const o = opts || {};
    o.headers = Object.assign(headers(), o.headers || {});
    const r = await fetch(path, o);
    if (r.status === 401) { $("token-row").hidden = false; throw new Error(t("needToken")); }
    if (!r.ok) {
      let detail = r.statusText;
      try { const j = await r.json(); if (typeof j.detail === "string") detail = j.detail; } catch (e) { /* not JSON */ }
      throw new Error((r.status === 413 ? t("tooLarge") : t("error")) + detail);
    }
    return r;
  }

  function setStatus(msg) { $("status").textContent = msg; }

  function setToken() {
    // A cookie so that the frame and download links (which cannot send a header) carry it too.
    const tok = $("token").value;
    if (tok) document.cookie = "mailsleuth_token=" + encodeURIComponent(tok) + "; path=/; SameSite=Strict";
  }

  async function submit(body, contentType) {
    setStatus(t("working"));
    setToken();
    try {
      const r = await api("/api/v1/analyze?lang=" + lang, {method: "POST", body: body, headers: {"Content-Type": contentType}});
      const report = await r.json();
      await load(report.id, report);
      setStatus(t("done") + t("verdicts")[report.verdict]);
      loadHistory();
    } catch (e) { setStatus(e.message); }
  }

  async function load(id, report) {
    const rep = report || await (await api("/api/v1/reports/" + encodeURIComponent(id))).json();
    const display = await (await api("/api/v1/reports/" + encodeURIComponent(id) + "/display")).json();
    const raw = await (await api("/api/v1/reports/" + encodeURIComponent(id) + "/source")).text();
    current = {report: rep, display: display, raw: raw};
    showReport();
    $("result").hidden = false;
    $("verdict").focus();
  }

  function kv(dl, key, value) {
    dl.appendChild(el("dt", key));
    dl.appendChild(el("dd", value === null || value === undefined || value === "" ? t("none") : value));
  }
  function addr(a) { return a ? ((a.display_name ? a.display_name + " " : "") + "<" + a.address + ">") : null; }

  function showReport() {
    const r = current.report;
    const id = encodeURIComponent(r.id);
    $("verdict-box").className = "verdict v-" + (r.verdict in T.en.verdicts ? r.verdict : "unknown");
    $("verdict").textContent = t("verdicts")[r.verdict] || r.verdict;
    $("summary").textContent = (r.summary && r.summary[lang]) || "";
    const b = r.brand;
    $("brand").textContent = b ? (b.role === "impersonated" ? t("brandImp") : t("brandSender")) + (lang === "ja" ? b.name : b.name_en) + (b.name_en !== b.name ? " / " + (lang === "ja" ? b.name_en : b.name) : "") : "";
    $("advice").textContent = (r.advice && r.advice[lang]) || "";
    const base = "/api/v1/reports/" + id + "?download=1&lang=" + lang + "&format=";
    $("dl-html").href = base + "html";
    $("dl-md").href = base + "md";
    $("dl-stix").href = base + "stix";
    $("dl-misp").href = base + "misp";
    $("dl-stix").hidden = $("dl-misp").hidden = !intel;
    const fl = $("findings"); fl.replaceChildren();
    (r.findings || []).forEach((f) => {
      const li = el("li");
      li.appendChild(el("span", "+" + f.score + " " + t("points"), "pts"));
      li.appendChild(el("span", (f.explanation && f.explanation[lang]) || f.id, "expl"));
      li.appendChild(el("code", f.id, "fid"));
      fl.appendChild(li);
    });
    const h = r.headers || {};
    const dl = $("sender"); dl.replaceChildren();
    kv(dl, t("sender"), addr(r.sender));
    kv(dl, t("from"), addr(h.from));
    kv(dl, t("replyTo"), (h.reply_to || []).map(addr).join(", "));
    kv(dl, t("returnPath"), addr(h.return_path));
    kv(dl, t("messageId"), h.message_id);
    kv(dl, t("listId"), h.list_id);
    kv(dl, t("score"), r.score);
    const o = r.origin;
    kv(dl, t("origin"), o ? [o.ip, o.rdns || o.helo, o.country_name || o.country].filter(Boolean).join(" · ") : null);
    const rl = $("route"); rl.replaceChildren();
    (r.route || []).forEach((hop) => rl.appendChild(el("li", [hop.helo || hop.rdns, hop.ip && "[" + hop.ip + "]", "→", hop.by, hop.date].filter(Boolean).join(" "))));
    $("article").src = "/api/v1/reports/" + id + "?format=html&lang=" + lang;
    $("article").title = lang === "ja" ? "注意喚起の記事（地図つき）" : "The article, with the map";
    const ll = $("links"); ll.replaceChildren();
    const links = current.display.links || [];
    if (!links.length) ll.appendChild(el("li", t("noLinks")));
    links.forEach((lk) => {
      const li = el("li");
      li.appendChild(el("code", lk.url));
      if (lk.text) li.appendChild(el("span", " “" + lk.text + "”", "ltext"));
      li.appendChild(el("span", " — " + lk.registrable_domain, "ldom"));
      ll.appendChild(li);
    });
    const d = current.display;
    $("body").textContent = (d.body_text || t("noBody")) + (d.attachments.length ? "\n\n" + t("attachments") + d.attachments.join(", ") : "");
    $("raw").textContent = current.raw;
  }

  function selectTab(tab, focus) {
    document.querySelectorAll("[role=tab]").forEach((b) => {
      const on = b === tab;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      $(b.getAttribute("aria-controls")).hidden = !on;
    });
    if (focus) tab.focus();
  }

  async function loadHistory() {
    try {
      const h = await (await api("/api/v1/reports?limit=50")).json();
      const ul = $("history"); ul.replaceChildren();
      h.items.forEach((it) => {
        const li = el("li");
        li.appendChild(el("span", t("verdicts")[it.verdict] || it.verdict, "tag v-" + it.verdict));
        const open = el("button", (it.subject || "(no subject)"), "linklike");
        open.type = "button";
        open.addEventListener("click", () => load(it.id).catch((e) => setStatus(e.message)));
        li.appendChild(open);
        li.appendChild(el("span", " " + (it.brand ? (lang === "ja" ? it.brand : it.brand_en) + " · " : "") + it.created, "meta"));
        const del = el("button", t("del"), "secondary small");
        del.type = "button";
        del.setAttribute("aria-label", t("del") + ": " + (it.subject || it.id));
        del.addEventListener("click", async () => { await api("/api/v1/reports/" + encodeURIComponent(it.id), {method: "DELETE"}); loadHistory(); });
        li.appendChild(del);
        ul.appendChild(li);
      });
    } catch (e) { /* history is optional (e.g. token not given yet) */ }
  }

  document.addEventListener("DOMContentLoaded", () => {
    applyLang();
    fetch("/api/v1/health").then((r) => r.json()).then((h) => { intel = !!h.intel; if (h.auth) $("token-row").hidden = false; }).catch(() => {});
    document.querySelectorAll("button.lang").forEach((b) => b.addEventListener("click", () => {
      lang = b.dataset.lang;
      try { window.localStorage.setItem("mailsleuth-lang", lang); } catch (e) { /* storage off */ }
      applyLang();
      loadHistory();
    }));
    const tabs = Array.from(document.querySelectorAll("[role=tab]"));
    tabs.forEach((tab, i) => {
      tab.addEventListener("click", () => selectTab(tab, false));
      tab.addEventListener("keydown", (ev) => {
        let j = null;
        if (ev.key === "ArrowRight") j = (i + 1) % tabs.length;
        else if (ev.key === "ArrowLeft") j = (i - 1 + tabs.length) % tabs.length;
        else if (ev.key === "Home") j = 0;
        else if (ev.key === "End") j = tabs.length - 1;
        if (j !== null) { ev.preventDefault(); selectTab(tabs[j], true); }
      });
    });
    selectTab(tabs[0], false);
    $("form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const f = $("file").files[0];
      if (f) { submit(f, "application/octet-stream"); return; }
      const text = $("source").value;
      if (!text.trim()) { setStatus(t("empty")); return; }
      submit(new Blob([text], {type: "message/rfc822"}), "message/rfc822");
    });
    $("file").addEventListener("change", () => { if ($("file").files[0]) submit($("file").files[0], "application/octet-stream"); });
    const drop = $("drop");
    ["dragenter", "dragover"].forEach((n) => drop.addEventListener(n, (ev) => { ev.preventDefault(); drop.classList.add("over"); }));
    ["dragleave", "drop"].forEach((n) => drop.addEventListener(n, () => drop.classList.remove("over")));
    drop.addEventListener("drop", (ev) => {
      ev.preventDefault();
      const f = ev.dataTransfer && ev.dataTransfer.files[0];
      if (f) submit(f, "application/octet-stream");
    });
    $("clear").addEventListener("click", async () => {
      if (!window.confirm(t("confirmClear"))) return;
      try { await api("/api/v1/reports", {method: "DELETE"}); } catch (e) { setStatus(e.message); }
      loadHistory();
    });
    loadHistory();
  });
})();
