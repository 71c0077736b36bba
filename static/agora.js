// Niceties only: every page works without this file.
document.documentElement.classList.add("js");

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  navigator.clipboard.writeText(field.value).then(() => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  });
});

// A confirmed dialog stands in for the server's confirm page.
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (!form) return;
  if (!window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (!form.querySelector("input[name=confirmed]")) {
    const confirmed = document.createElement("input");
    confirmed.type = "hidden";
    confirmed.name = "confirmed";
    confirmed.value = "yes";
    form.appendChild(confirmed);
  }
});

// Request Access: choosing an application or a subscription keeps only the
// other list's options of the same team (the server checks it all the same),
// and the request's name follows the application until the person edits it.
document.addEventListener("change", (event) => {
  const select = event.target.closest("select[data-narrows]");
  if (!select) return;
  const chosen = select.selectedOptions[0];
  const other = document.getElementById(select.dataset.narrows);
  if (chosen && other) {
    const team = chosen.dataset.team;
    for (const option of other.options) {
      option.hidden = option.dataset.team !== team;
    }
    if (other.selectedOptions[0] && other.selectedOptions[0].hidden) {
      const first = Array.from(other.options).find((o) => !o.hidden);
      if (first) first.selected = true;
      other.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }
  const names = select.dataset.names && document.getElementById(select.dataset.names);
  if (names && chosen && chosen.dataset.auto !== undefined) {
    const auto = select.form.querySelector("input[name=auto_name]");
    if (names.value === "" || (auto && names.value === auto.value)) {
      names.value = chosen.dataset.auto;
    }
    if (auto) auto.value = chosen.dataset.auto;
  }
});
