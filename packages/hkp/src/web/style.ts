/** The one stylesheet (`/assets/style.css`): readable from a phone to a desktop, no web fonts. */
export const STYLESHEET = `*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2128;background:#f6f7f9}
a{color:#0b57a4}
header{display:flex;flex-wrap:wrap;gap:.25rem 1.5rem;align-items:baseline;padding:.75rem 1rem;background:#1d2b3a;color:#fff}
header a{color:#fff;text-decoration:none}
header .brand{font-weight:600;font-size:1.1rem}
nav a{margin-right:1rem}
nav a:hover,header .brand:hover{text-decoration:underline}
main{max-width:56rem;margin:0 auto;padding:1rem;background:#fff;min-height:60vh}
footer{max-width:56rem;margin:0 auto;padding:.75rem 1rem;color:#5b6470;font-size:.875rem}
h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:1.75rem 0 .5rem;border-bottom:1px solid #dde1e6;padding-bottom:.25rem}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:.9em}
.fpr,.hash{overflow-wrap:anywhere;word-break:break-word}
pre.armor{white-space:pre;overflow-x:auto;background:#f1f3f5;border:1px solid #dde1e6;padding:.75rem;font-size:.8rem;line-height:1.35}
label{display:block;font-weight:600;margin-bottom:.25rem}
form.search{margin-bottom:1.25rem}
.actions{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem .75rem}
.row{display:flex;gap:.5rem}
input[type=search]{flex:1;min-width:0}
input,textarea,button{font:inherit;padding:.5rem .6rem;border:1px solid #9aa3ad;border-radius:4px}
textarea{width:100%;font-family:ui-monospace,"DejaVu Sans Mono",monospace;font-size:.85rem}
button,.button{background:#0b57a4;color:#fff;border:1px solid #0b57a4;border-radius:4px;padding:.5rem 1rem;cursor:pointer;text-decoration:none;display:inline-block}
button:hover,.button:hover{background:#094683}
:focus-visible{outline:3px solid #f0a500;outline-offset:1px}
.hints li{margin:.25rem 0}
.note,.meta{color:#5b6470;font-size:.9rem}
.notice{background:#fff4e0;border-left:4px solid #d98c00;padding:.5rem .75rem}
ol.results{list-style:none;padding:0}
ol.results>li{border:1px solid #dde1e6;border-radius:6px;padding:.5rem .75rem;margin:.75rem 0}
ol.results p{margin:.15rem 0}
.summary{font-size:1.05rem}
ul.uids,ul.subkeys{padding-left:1.25rem}
ul.uids li,ul.subkeys li{margin:.4rem 0;overflow-wrap:anywhere}
ul.uids .meta,ul.subkeys .meta{display:block}
li.withheld{color:#5b6470}
.badge{display:inline-block;font-size:.75rem;font-weight:600;padding:0 .4rem;border-radius:3px;vertical-align:middle;white-space:nowrap}
.badge.valid{background:#dff3e4;color:#14532d}
.badge.revoked{background:#fde2e1;color:#8a1c14}
.badge.expired{background:#fff0c2;color:#6b4b00}
.badge.withheld{background:#e8eaed;color:#3c434b;white-space:normal}
table{border-collapse:collapse;margin:.5rem 0}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{text-align:left;vertical-align:top;padding:.3rem .75rem .3rem 0;border-bottom:1px solid #eceff2}
table.facts{width:100%}
table.facts th{width:9rem;font-weight:600;white-space:nowrap}
.histograms{display:flex;flex-wrap:wrap;align-items:flex-start;gap:0 2.5rem}
table.histogram td+td,table.histogram th+th{text-align:right}
ul.sigs{list-style:none;margin:.2rem 0 .5rem;padding-left:.75rem;border-left:2px solid #eceff2;font-size:.85rem}
ul.sigs li{margin:.1rem 0}
ul.sigs .kind{display:inline-block;min-width:3.2rem;color:#3c434b}
.selfsig{color:#14532d}
li.more{color:#5b6470;font-style:italic}
ul.fetch li{margin:.3rem 0;overflow-wrap:anywhere}
table.upload-keys{width:100%}
tr.rejected td{color:#8a1c14}
@media (max-width:30rem){main{padding:.75rem}pre.armor{white-space:pre-wrap;word-break:break-all}table.facts th{width:auto;white-space:normal}h1{font-size:1.3rem}}
`;
