// Portfolio management: portfolios, holdings (optimistic, rolled back visibly when refused),
// CSV import with the per-row error report, wallet linking.
import { api, del, get, patch, post } from "../api.js";
import { empty, errorText, fmt, h, panel, toast } from "../ui.js";

export const title = "Portfolios";
export const reactsTo = (ev, ctx) => ev.channel === "portfolio_updates" && ev.data?.portfolio_id === ctx.portfolioId;

/** Apply `local` now, call `remote`; on refusal undo and say so. `{value}` on success, null when refused. */
async function optimistic(local, undo, remote, what) {
  local();
  try { return { value: await remote() } } catch (err) {
    undo();
    toast(`${what} refused — change rolled back`, errorText(err), "error", { ttl: 12000 });
    return null;
  }
}

function portfolioList(ctx) {
  const error = h("p", { class: "error", role: "alert" });
  const name = h("input", { id: "new-portfolio-name", name: "name", required: true, maxlength: 100, placeholder: "e.g. Long-term" });
  const rows = ctx.portfolios.map((p) => {
    const label = h("a", { href: "#/portfolios", onclick: (e) => { e.preventDefault(); ctx.select(p.id) } }, p.name);
    const row = h("tr", { "aria-selected": String(p.id === ctx.portfolioId) },
      h("td", {}, label, p.id === ctx.portfolioId ? h("span", { class: "badge info", style: "margin-left:6px" }, "selected") : null),
      h("td", { class: "num" },
        h("button", { type: "button", class: "ghost", "aria-label": `Rename ${p.name}`, onclick: async () => {
          const next = prompt("New name", p.name)?.trim();
          if (!next || next === p.name) return;
          const old = p.name;
          const done = await optimistic(() => { label.textContent = next; p.name = next }, () => { label.textContent = old; p.name = old },
            () => patch(`/portfolios/${p.id}`, { name: next }), "Rename");
          if (done) await ctx.loadPortfolios();
        } }, "Rename"), " ",
        h("button", { type: "button", class: "danger", "aria-label": `Delete ${p.name}`, onclick: async () => {
          if (!confirm(`Delete portfolio "${p.name}" and its holdings?`)) return;
          const done = await optimistic(() => row.classList.add("pending"), () => row.classList.remove("pending"), () => del(`/portfolios/${p.id}`), "Delete");
          if (done) { await ctx.loadPortfolios(); ctx.navigate("#/portfolios") }
        } }, "Delete")));
    return row;
  });
  return panel("Your portfolios", { cls: "span-4" },
    rows.length ? h("table", {}, h("tbody", {}, rows)) : empty("No portfolios yet."),
    h("form", { class: "row", "aria-label": "Create portfolio", onsubmit: async (e) => {
      e.preventDefault(); error.textContent = "";
      try { const p = await post("/portfolios", { name: name.value }); await ctx.loadPortfolios(); ctx.select(p.id) }
      catch (err) { error.textContent = errorText(err) }
    } }, h("label", { for: "new-portfolio-name" }, "New portfolio", name), h("button", { type: "submit" }, "Create")), error);
}

function holdingRow(ctx, hd, summaryBySymbol, tbody) {
  const qty = h("span", { class: "qty" }, fmt.qty(hd.quantity));
  const pos = summaryBySymbol[hd.symbol];
  const row = h("tr", { "data-symbol": hd.symbol },
    h("td", {}, h("a", { href: `#/asset/${hd.symbol}` }, hd.symbol), hd.source !== "manual" ? h("span", { class: "badge", style: "margin-left:6px" }, hd.source) : null),
    h("td", { class: "num" }, qty),
    h("td", { class: "num" }, hd.cost_basis === null ? "—" : fmt.usd(Number(hd.cost_basis))),
    h("td", { class: "num" }, pos ? fmt.usd(pos.value) : "—"),
    h("td", { class: "num" },
      h("button", { type: "button", class: "ghost", "aria-label": `Edit ${hd.symbol} quantity`, onclick: async () => {
        const next = prompt(`Quantity of ${hd.symbol}`, hd.quantity);
        if (next === null || next.trim() === "") return;
        const old = qty.textContent;
        const done = await optimistic(() => { qty.textContent = fmt.qty(next); row.classList.add("pending") },
          () => { qty.textContent = old; row.classList.remove("pending") },
          () => patch(`/portfolios/${ctx.portfolioId}/holdings/${hd.id}`, { quantity: next.trim() }), `Edit ${hd.symbol}`);
        if (done) { hd.quantity = done.value.quantity; row.classList.remove("pending") }
      } }, "Edit"), " ",
      h("button", { type: "button", class: "danger", "aria-label": `Remove ${hd.symbol}`, onclick: async () => {
        const next = row.nextSibling;
        await optimistic(() => row.remove(), () => tbody.insertBefore(row, next),
          () => del(`/portfolios/${ctx.portfolioId}/holdings/${hd.id}`), `Remove ${hd.symbol}`);
      } }, "Remove")));
  return row;
}

function holdingsPanel(ctx, holdings, summary) {
  const bySymbol = Object.fromEntries(summary.positions.map((p) => [p.symbol, p]));
  const tbody = h("tbody", {});
  tbody.append(...holdings.items.map((hd) => holdingRow(ctx, hd, bySymbol, tbody)));
  const symbol = h("input", { id: "holding-symbol", name: "symbol", required: true, maxlength: 15, placeholder: "BTC", autocapitalize: "characters", size: 8 });
  const quantity = h("input", { id: "holding-quantity", name: "quantity", required: true, inputmode: "decimal", placeholder: "0.5", size: 10 });
  const cost = h("input", { id: "holding-cost", name: "cost_basis", inputmode: "decimal", placeholder: "optional", size: 10 });
  const add = h("form", { class: "row", "aria-label": "Add holding", onsubmit: async (e) => {
    e.preventDefault();
    const body = { symbol: symbol.value.trim().toUpperCase(), quantity: quantity.value.trim() };
    if (cost.value.trim()) body.cost_basis = cost.value.trim();
    const temp = h("tr", { class: "pending", "data-symbol": body.symbol }, h("td", {}, body.symbol), h("td", { class: "num" }, fmt.qty(body.quantity)),
      h("td", { class: "num" }, body.cost_basis ? fmt.usd(Number(body.cost_basis)) : "—"), h("td", { class: "num" }, "…"), h("td", { class: "num" }, "saving…"));
    const created = await optimistic(() => tbody.append(temp), () => temp.remove(),
      () => post(`/portfolios/${ctx.portfolioId}/holdings`, body), `Add ${body.symbol}`);
    if (created) { temp.replaceWith(holdingRow(ctx, created.value, bySymbol, tbody)); symbol.value = quantity.value = cost.value = ""; symbol.focus() }
  } },
  h("label", { for: "holding-symbol" }, "Symbol", symbol), h("label", { for: "holding-quantity" }, "Quantity", quantity),
  h("label", { for: "holding-cost" }, "Cost basis (USD)", cost), h("button", { type: "submit" }, "Add"));
  return panel("Holdings", { cls: "span-8", asOf: summary.as_of, data: summary },
    h("div", { class: "table-wrap" }, h("table", { id: "holdings" },
      h("thead", {}, h("tr", {}, h("th", {}, "Asset"), h("th", { class: "num" }, "Quantity"), h("th", { class: "num" }, "Cost basis"), h("th", { class: "num" }, "Value"), h("th", { class: "num" }, h("span", { class: "sr-only" }, "Actions")))),
      tbody)), add);
}

function importPanel(ctx) {
  const text = h("textarea", { id: "csv-text", name: "csv", placeholder: "symbol,quantity,cost_basis\nBTC,0.5,20000\nETH,4," });
  const file = h("input", { id: "csv-file", type: "file", accept: ".csv,text/csv", onchange: async () => { text.value = await file.files[0].text() } });
  const report = h("div", { id: "import-report", "aria-live": "polite" });
  return panel("Import holdings (CSV)", { cls: "span-6" },
    h("p", { class: "sub" }, "Header symbol,quantity[,cost_basis]. A held symbol is overwritten; any bad row rejects the whole file."),
    h("label", { class: "field", for: "csv-file" }, "CSV file", file),
    h("label", { class: "field", for: "csv-text" }, "or paste", text),
    h("div", {}, h("button", { type: "button", id: "csv-import", onclick: async () => {
      report.replaceChildren();
      try {
        const r = await api(`/portfolios/${ctx.portfolioId}/holdings/import`, { method: "POST", body: text.value, contentType: "text/csv" });
        report.append(h("p", { class: "up" }, `Imported ${r.rows} row(s): ${r.created} new, ${r.updated} updated.`));
        setTimeout(() => ctx.navigate("#/portfolios"), 1200);
      } catch (err) {
        report.append(h("p", { class: "error" }, err.message),
          err.errors.length ? h("table", { class: "errors" }, h("thead", {}, h("tr", {}, h("th", {}, "Row"), h("th", {}, "Field"), h("th", {}, "Problem"))),
            h("tbody", {}, err.errors.map((e) => h("tr", {}, h("td", {}, e.row ?? "—"), h("td", {}, e.field ?? "—"), h("td", {}, e.message))))) : null);
      }
    } }, "Import")), report);
}

function walletsPanel(ctx, wallets) {
  const tbody = h("tbody", {});
  const row = (w) => {
    const tr = h("tr", {}, h("td", {}, h("code", {}, `${w.address.slice(0, 8)}…${w.address.slice(-6)}`)), h("td", {}, w.label ?? ""),
      h("td", {}, w.last_synced_at ? fmt.time(w.last_synced_at) : "not synced yet"),
      h("td", { class: "num" }, h("button", { type: "button", class: "danger", "aria-label": `Unlink ${w.address}`, onclick: async () => {
        const next = tr.nextSibling;
        await optimistic(() => tr.remove(), () => tbody.insertBefore(tr, next), () => del(`/portfolios/${ctx.portfolioId}/wallets/${w.id}`), "Unlink wallet");
      } }, "Unlink")));
    return tr;
  };
  tbody.append(...wallets.items.map(row));
  const address = h("input", { id: "wallet-address", name: "address", required: true, pattern: "0x[0-9a-fA-F]{40}", placeholder: "0x…", size: 44 });
  const label = h("input", { id: "wallet-label", name: "label", maxlength: 100, placeholder: "optional", size: 12 });
  return panel("Linked wallets (Ethereum)", { cls: "span-6" },
    wallets.items.length ? h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Address"), h("th", {}, "Label"), h("th", {}, "Synced"), h("th", {}, ""))), tbody)) : empty("No wallet linked."),
    h("form", { class: "row", "aria-label": "Link wallet", onsubmit: async (e) => {
      e.preventDefault();
      const temp = h("tr", { class: "pending" }, h("td", {}, address.value), h("td", {}, label.value), h("td", {}, "saving…"), h("td", {}));
      const w = await optimistic(() => tbody.append(temp), () => temp.remove(),
        () => post(`/portfolios/${ctx.portfolioId}/wallets`, { address: address.value.trim(), label: label.value.trim() || null }), "Link wallet");
      if (w) { temp.replaceWith(row(w.value)); address.value = label.value = "" }
    } }, h("label", { for: "wallet-address" }, "Address", address), h("label", { for: "wallet-label" }, "Label", label), h("button", { type: "submit" }, "Link")),
    h("p", { class: "sub" }, "Balances are picked up by the next on-chain sync."));
}

export async function render(ctx) {
  await ctx.loadPortfolios();
  const list = portfolioList(ctx);
  const id = ctx.portfolioId;
  if (!id) return h("div", {}, h("h1", {}, "Portfolios"), h("div", { class: "grid" }, list));
  const [holdings, summary, wallets] = await Promise.all([
    get(`/portfolios/${id}/holdings?limit=500`), get(`/portfolios/${id}/summary`), get(`/portfolios/${id}/wallets?limit=500`)]);
  return h("div", {}, h("h1", {}, `Portfolios · ${ctx.portfolio?.name ?? ""}`),
    h("div", { class: "grid" }, list, holdingsPanel(ctx, holdings, summary), importPanel(ctx), walletsPanel(ctx, wallets)));
}
