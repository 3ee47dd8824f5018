// The web front: hash routes (#/projects/7) so that the server serves one
// page; each view asks the API and shows what it says.
import { call, get, session, setSession, newKey, ApiError } from './api.js';
import { h, clear, field } from './dom.js';
import { t, lang, setLang } from './i18n.js';
import { money, parseMoney, dateTime, percent } from './format.js';

const mainEl = document.getElementById('main');
// The view being built: each route renders into a fresh element that
// replaces the page's content when it is done. One route renders at a time;
// a hash change meanwhile renders again after it.
let main = mainEl;
let routing = null;
let again = false;
const nav = document.getElementById('nav');
const statusBox = document.getElementById('status');

function role() {
  const s = session();
  return s && s.user ? s.user.role : null;
}

// A message for the user, read out by screen readers; it stays for the page
// its action leads to and is gone on the next.
let statusFresh = false;
function say(text) {
  statusBox.textContent = text;
  statusFresh = true;
}

function problemText(err) {
  if (!(err instanceof ApiError)) return t('network_error');
  const known = t(`problem.${err.slug}`, err.problem, null);
  const detail = err.problem.detail || err.message;
  return known ? `${known} (${detail})` : detail;
}

// A problem shown where the action was, and read out.
function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, problemText(err));
}

function heading(text) {
  return h('h1', { tabindex: '-1', id: 'page-title' }, text);
}

// --- navigation ---------------------------------------------------------

function renderNav() {
  clear(nav);
  const r = role();
  const links = [['#/', t('nav.projects')]];
  links.push(['#/rounds', t('nav.rounds')]);
  if (r === 'customer') links.push(['#/pledges', t('nav.pledges')], ['#/wallet', t('nav.wallet')], ['#/investor', t('nav.investor')]);
  if (r === 'staff') links.push(['#/reviews', t('nav.reviews')], ['#/wallets', t('nav.wallets')]);
  if (r === 'auditor') links.push(['#/books', t('nav.books')]);
  const list = h('ul', {}, links.map(([href, text]) => h('li', {}, h('a', { href, 'aria-current': location.hash === href ? 'page' : null }, text))));
  if (r) {
    list.append(h('li', { class: 'who' }, session().user.display_name || session().user.email),
      h('li', {}, h('button', { type: 'button', id: 'logout', onclick: logout }, t('nav.logout'))));
  } else {
    list.append(h('li', {}, h('a', { href: '#/login' }, t('nav.login'))), h('li', {}, h('a', { href: '#/register' }, t('nav.register'))));
  }
  nav.append(list);
  document.getElementById('skip-link').textContent = t('skip');
  document.getElementById('lang-label').textContent = t('language');
  nav.setAttribute('aria-label', t('nav.label'));
}

async function logout() {
  try {
    await call('DELETE', '/v1/sessions/current');
  } catch {
    // The token may have expired already; it is forgotten either way.
  }
  setSession(null);
  say(t('logged_out'));
  if (location.hash !== '#/') location.hash = '#/'; // hashchange routes
  else route();
}

// --- routing ------------------------------------------------------------

const routes = [
  [/^#?\/?$/, projectsView],
  [/^#\/projects\/(\d+)$/, projectView],
  [/^#\/register$/, registerView],
  [/^#\/login$/, loginView],
  [/^#\/pledges$/, pledgesView],
  [/^#\/wallet$/, walletView],
  [/^#\/investor$/, investorView],
  [/^#\/rounds$/, roundsView],
  [/^#\/rounds\/(\d+)$/, roundView],
  [/^#\/reviews$/, reviewsView],
  [/^#\/reviews\/(\d+)$/, reviewView],
  [/^#\/books$/, booksView],
  [/^#\/wallets$/, staffWalletsView],
];

function route() {
  if (routing) {
    again = true;
    return routing;
  }
  routing = (async () => {
    do {
      again = false;
      await render();
    } while (again);
    routing = null;
  })();
  return routing;
}

async function render() {
  if (!statusFresh) statusBox.textContent = '';
  statusFresh = false;
  renderNav();
  const hash = location.hash || '#/';
  const found = routes.find(([pattern]) => pattern.test(hash));
  const view = h('div');
  main = view;
  mainEl.setAttribute('aria-busy', 'true');
  try {
    if (!found) view.append(heading(t('not_found')));
    else await found[1](...hash.match(found[0]).slice(1));
  } catch (err) {
    view.append(errorBox(err));
  }
  clear(mainEl).append(...view.childNodes);
  main = mainEl;
  mainEl.removeAttribute('aria-busy');
  renderNav(); // a view may have ended the session (a 401)
  // Screen readers and keyboards start at the new page's title.
  const title = document.getElementById('page-title');
  if (title) {
    document.title = `${title.textContent} · schwarm`;
    title.focus();
  }
}

// --- projects -------------------------------------------------------------

function fundingBar(p, extra = '') {
  const pct = p.goal_minor > 0 ? Math.min(100, Math.floor((p.pledged_minor * 100) / p.goal_minor)) : 0;
  const label = t('funded_of', { pledged: money(p.pledged_minor, p.currency), goal: money(p.goal_minor, p.currency), pct });
  return h('div', { class: `funding ${extra}` },
    h('div', { class: 'bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': pct, 'aria-label': label },
      h('span', { class: `fill w${Math.round(pct / 5) * 5}` })),
    h('p', { class: 'funding-text' }, label));
}

async function projectsView() {
  main.append(heading(t('projects.title')));
  const params = new URLSearchParams(sessionStorage.getItem('schwarm.search') || '');
  const q = field(t('projects.search'), { type: 'search', name: 'q', value: params.get('q') || '' });
  const state = h('select', { id: 'state-filter', name: 'state' },
    ['', 'funding', 'funded', 'approved', 'in_vote', 'selected'].map((s) =>
      h('option', { value: s, selected: params.get('state') === s }, s ? t(`state.${s}`) : t('projects.all_states'))));
  const form = h('form', { class: 'search', role: 'search', onsubmit: (e) => {
    e.preventDefault();
    const next = new URLSearchParams();
    if (q.querySelector('input').value) next.set('q', q.querySelector('input').value);
    if (state.value) next.set('state', state.value);
    sessionStorage.setItem('schwarm.search', next.toString());
    route();
  } }, q, h('div', { class: 'field' }, h('label', { for: 'state-filter' }, t('projects.state')), state),
  h('button', { type: 'submit' }, t('projects.search_button')));
  main.append(form);
  const page = await get(`/v1/projects?${params.toString()}`);
  if (!page.items.length) {
    main.append(h('p', {}, t('projects.none')));
    return;
  }
  main.append(h('ul', { class: 'cards' }, page.items.map((p) => h('li', { class: 'card' },
    h('h2', {}, h('a', { href: `#/projects/${p.id}` }, p.title)),
    h('p', {}, p.summary),
    h('p', { class: 'meta' }, `${t(`kind.${p.kind}`)} · ${t(`state.${p.state}`)} · `,
      h('span', { class: 'days-left' }, t('days_left', { days: p.days_left }))),
    fundingBar(p)))));
}

async function projectView(id) {
  const p = await get(`/v1/projects/${id}`);
  main.append(heading(p.title), h('p', { class: 'lead' }, p.summary));
  if (p.description) main.append(h('p', {}, p.description));
  main.append(h('dl', { class: 'facts' },
    h('dt', {}, t('projects.kind')), h('dd', {}, t(`kind.${p.kind}`)),
    h('dt', {}, t('projects.state')), h('dd', { id: 'project-state' }, t(`state.${p.state}`)),
    h('dt', {}, t('projects.deadline')), h('dd', {}, dateTime(p.deadline), ' · ', h('span', { class: 'days-left' }, t('days_left', { days: p.days_left }))),
    h('dt', {}, t('projects.backers')), h('dd', {}, String(p.backers)),
    p.loan ? [h('dt', {}, t('projects.rate')), h('dd', { id: 'loan-rate' }, percent(p.loan.rate_bp)),
      h('dt', {}, t('projects.term')), h('dd', { id: 'loan-term' }, t('months', { n: p.loan.term_months }))] : null));
  main.append(fundingBar(p, 'project-funding'));
  if (p.state === 'funding') {
    if (role() === 'customer') main.append(pledgeForm(p));
    else if (!role()) main.append(h('p', {}, h('a', { href: '#/login' }, t('projects.login_to_back'))));
  }
}

// Backing a project: the amount, then what investor protection asks for (the
// risk warning to acknowledge, or the knowledge test and loss simulation
// first), then the pledge with its reflection period and a revoke button.
function pledgeForm(p) {
  let key = newKey();
  const box = h('section', { class: 'panel', 'aria-labelledby': 'back-title' }, h('h2', { id: 'back-title' }, t('back.title')));
  const amount = field(t('back.amount', { currency: p.currency }), { name: 'amount', inputmode: 'decimal', required: true, autocomplete: 'off' });
  const warning = h('div', { class: 'warning', hidden: true });
  const ack = h('input', { type: 'checkbox', id: 'risk-ack', name: 'risk_acknowledged' });
  const message = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, t('back.submit'));
  const form = h('form', { novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clear(message);
    const minor = parseMoney(amount.querySelector('input').value);
    if (minor === null) {
      message.append(h('p', { class: 'error', role: 'alert' }, t('back.bad_amount')));
      amount.querySelector('input').focus();
      return;
    }
    submit.disabled = true;
    try {
      const pledge = await call('POST', `/v1/projects/${p.id}/pledges`, {
        body: { amount_minor: minor, currency: p.currency, risk_acknowledged: ack.checked },
        key,
      });
      key = newKey();
      form.replaceWith(pledgeDone(pledge));
      // The bar shows the project with this pledge.
      const bar = document.querySelector('.project-funding');
      if (bar) bar.replaceWith(fundingBar(await get(`/v1/projects/${p.id}`), 'project-funding'));
      say(t('back.done', { amount: money(pledge.amount_minor, pledge.currency) }));
    } catch (err) {
      if (err.slug === 'risk-acknowledgement-required') {
        clear(warning).append(h('h3', {}, t('back.warning_title')), h('p', {}, t('back.warning_text')), h('p', {}, err.problem.detail || ''),
          h('div', { class: 'check' }, ack, h('label', { for: 'risk-ack' }, t('back.acknowledge'))));
        warning.hidden = false;
        ack.focus();
      } else if (['risk-knowledge-test-required', 'risk-loss-simulation-required', 'risk-profile-required'].includes(err.slug)) {
        message.append(errorBox(err), h('p', {}, h('a', { href: '#/investor' }, t('back.to_investor'))));
      } else {
        message.append(errorBox(err));
      }
    } finally {
      submit.disabled = false;
    }
  } }, amount, warning, submit);
  box.append(form, message);
  return box;
}

function pledgeDone(pledge) {
  return h('div', { class: 'pledge-done', id: 'pledge-done' },
    h('p', {}, t('back.done', { amount: money(pledge.amount_minor, pledge.currency) })),
    pledge.revocable_until ? reflection(pledge) : null);
}

// The reflection period with its revoke button, while the pledge is held.
function reflection(pledge) {
  const box = h('div', { class: 'reflection' });
  const show = (pl) => {
    clear(box);
    if (pl.state === 'held' && pl.revocable_until) {
      let key = newKey();
      box.append(h('p', {}, t('reflection.until', { until: dateTime(pl.revocable_until) })),
        h('button', { type: 'button', class: 'danger', onclick: async (e) => {
          e.target.disabled = true;
          try {
            const revoked = await call('POST', `/v1/pledges/${pl.id}/revoke`, { key });
            key = newKey();
            show(revoked);
            say(t('reflection.revoked'));
          } catch (err) {
            box.append(errorBox(err));
            e.target.disabled = false;
          }
        } }, t('reflection.revoke')));
    } else {
      box.append(h('p', { class: 'pledge-state' }, t(`pledge.${pl.state}`)));
    }
  };
  show(pledge);
  return box;
}

// --- accounts -------------------------------------------------------------

function registerView() {
  main.append(heading(t('register.title')));
  const message = h('div');
  const email = field(t('email'), { type: 'email', name: 'email', required: true, autocomplete: 'email' });
  const name = field(t('display_name'), { name: 'display_name', required: true, autocomplete: 'name' });
  const password = field(t('password'), { type: 'password', name: 'password', required: true, minlength: 10, autocomplete: 'new-password' }, t('register.password_hint'));
  main.append(h('form', { novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clear(message);
    const body = { email: value(email), password: value(password), display_name: value(name) };
    try {
      await call('POST', '/v1/users', { body });
      await logIn(body.email, body.password);
      say(t('register.done'));
      location.hash = '#/';
    } catch (err) {
      message.append(errorBox(err));
      focusField(err, { email, password, display_name: name });
    }
  } }, email, name, password, h('button', { type: 'submit' }, t('register.submit'))), message);
}

function value(f) {
  return f.querySelector('input').value;
}

function focusField(err, fields) {
  const f = fields[err.problem.field];
  if (f) {
    f.querySelector('input').setAttribute('aria-invalid', 'true');
    f.querySelector('input').focus();
  }
}

async function logIn(email, password) {
  const created = await call('POST', '/v1/sessions', { body: { email, password } });
  setSession({ token: created.token, expires_at: created.expires_at });
  const me = await get('/v1/users/me');
  setSession({ token: created.token, expires_at: created.expires_at, user: me });
  return me;
}

function loginView() {
  main.append(heading(t('login.title')));
  const message = h('div');
  const email = field(t('email'), { type: 'email', name: 'email', required: true, autocomplete: 'username' });
  const password = field(t('password'), { type: 'password', name: 'password', required: true, autocomplete: 'current-password' });
  main.append(h('form', { novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clear(message);
    try {
      const me = await logIn(value(email), value(password));
      say(t('login.done', { name: me.display_name || me.email }));
      location.hash = me.role === 'staff' ? '#/reviews' : me.role === 'auditor' ? '#/books' : '#/';
    } catch (err) {
      setSession(null);
      message.append(errorBox(err));
    }
  } }, email, password, h('button', { type: 'submit' }, t('login.submit'))), message);
}

function needs(r) {
  if (role() === r) return true;
  main.append(heading(t('login.required')), h('p', {}, h('a', { href: '#/login' }, t('nav.login'))));
  return false;
}

async function pledgesView() {
  if (!needs('customer')) return;
  main.append(heading(t('pledges.title')));
  const page = await get('/v1/pledges');
  if (!page.items.length) return main.append(h('p', {}, t('pledges.none')));
  main.append(h('ul', { class: 'cards' }, page.items.map((pl) => h('li', { class: 'card pledge', 'data-pledge': pl.id },
    h('h2', {}, h('a', { href: `#/projects/${pl.project_id}` }, t('pledges.to_project', { id: pl.project_id }))),
    h('p', {}, `${money(pl.amount_minor, pl.currency)} · ${dateTime(pl.created_at)}`),
    reflection(pl)))));
}

async function walletView() {
  if (!needs('customer')) return;
  main.append(heading(t('wallet.title')));
  const w = await get('/v1/wallet?currency=EUR');
  main.append(h('dl', { class: 'facts', id: 'wallet' },
    h('dt', {}, t('wallet.balance')), h('dd', {}, money(w.balance_minor, w.currency)),
    h('dt', {}, t('wallet.held')), h('dd', {}, money(w.held_minor, w.currency)),
    h('dt', {}, t('wallet.available')), h('dd', { id: 'available' }, money(w.available_minor, w.currency))));
  const statement = await get('/v1/wallet/statement?currency=EUR');
  main.append(h('h2', {}, t('wallet.statement')));
  if (!statement.items.length) return main.append(h('p', {}, t('wallet.no_movements')));
  main.append(table([t('when'), t('wallet.what'), t('wallet.in'), t('wallet.out')], statement.items.map((m) => [
    dateTime(m.at), m.description || m.kind,
    m.direction === 'in' ? money(m.amount_minor, m.currency) : '',
    m.direction === 'out' ? money(m.amount_minor, m.currency) : ''])));
}

function table(headers, rows, attrs = {}) {
  return h('div', { class: 'table-wrap' }, h('table', attrs,
    h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', {}, rows.map((row) => h('tr', row.attrs || {}, row.map((cell) => h('td', {}, cell)))))));
}

// Investor protection: the declared finances, the loss simulation and the
// knowledge test, as the API asks for them before a loan pledge.
async function investorView() {
  if (!needs('customer')) return;
  main.append(heading(t('investor.title')));
  const me = await get('/v1/risk/investor');
  const kt = me.knowledge_test || { status: 'none' };
  main.append(h('dl', { class: 'facts', id: 'investor' },
    h('dt', {}, t('investor.category')), h('dd', {}, t(`investor.${me.category}`)),
    h('dt', {}, t('investor.net_worth')), h('dd', {}, me.profile ? money(me.profile.net_worth_minor) : t('investor.not_declared')),
    h('dt', {}, t('investor.loss_simulation')), h('dd', {}, me.loss_simulated_at ? dateTime(me.loss_simulated_at) : t('investor.not_yet')),
    h('dt', {}, t('investor.test')), h('dd', { id: 'knowledge-test' }, kt.status === 'none' ? t('investor.not_yet')
      : `${t(`test.${kt.status}`)} (${kt.correct} / ${kt.questions})${kt.expires_at ? ` · ${dateTime(kt.expires_at)}` : ''}`),
    h('dt', {}, t('investor.warning_from')), h('dd', {}, money(me.risk_warning_threshold_minor))));
  const message = h('div', { 'aria-live': 'polite' });
  const income = field(t('investor.income'), { name: 'income', inputmode: 'decimal', required: true });
  const assets = field(t('investor.assets'), { name: 'assets', inputmode: 'decimal', required: true });
  const commitments = field(t('investor.commitments'), { name: 'commitments', inputmode: 'decimal', required: true });
  main.append(h('form', { onsubmit: async (e) => {
    e.preventDefault();
    clear(message);
    try {
      await call('PUT', '/v1/risk/investor/profile', { body: {
        annual_income_minor: parseMoney(value(income)) || 0,
        liquid_assets_minor: parseMoney(value(assets)) || 0,
        annual_commitments_minor: parseMoney(value(commitments)) || 0,
      } });
      const sim = await call('POST', '/v1/risk/investor/loss-simulation');
      message.append(h('p', { id: 'loss-simulation' }, t('investor.simulated', { capacity: money(sim.loss_capacity_minor), worth: money(sim.net_worth_minor) })));
    } catch (err) {
      message.append(errorBox(err));
    }
  } }, income, assets, commitments, h('button', { type: 'submit' }, t('investor.save'))), message);
  const test = await get('/v1/risk/knowledge-test');
  const questions = Array.isArray(test) ? test : test.questions || [];
  const result = h('div', { 'aria-live': 'polite' });
  main.append(h('h2', {}, t('investor.test')), h('form', { onsubmit: async (e) => {
    e.preventDefault();
    clear(result);
    const answers = questions.map((q) => ({ question_id: q.id, option: Number((e.target.querySelector(`input[name="${q.id}"]:checked`) || {}).value ?? -1) }));
    try {
      const r = await call('POST', '/v1/risk/knowledge-test', { body: { answers } });
      result.append(h('p', {}, r.passed ? t('investor.passed') : t('investor.failed')));
    } catch (err) {
      result.append(errorBox(err));
    }
  } }, questions.map((q) => h('fieldset', {}, h('legend', {}, q.text || q.question || q.id),
    (q.options || []).map((o, i) => h('div', { class: 'check' },
      h('input', { type: 'radio', name: q.id, id: `${q.id}-${i}`, value: i }),
      h('label', { for: `${q.id}-${i}` }, typeof o === 'string' ? o : o.text || JSON.stringify(o)))))),
  h('button', { type: 'submit' }, t('investor.answer'))), result);
}

// --- rounds ---------------------------------------------------------------

function roundsView() {
  main.append(heading(t('rounds.title')), h('p', {}, t('rounds.intro')));
  const number = field(t('rounds.number'), { name: 'round', inputmode: 'numeric', required: true });
  main.append(h('form', { onsubmit: (e) => {
    e.preventDefault();
    const n = value(number).trim();
    if (/^\d+$/.test(n)) location.hash = `#/rounds/${n}`;
  } }, number, h('button', { type: 'submit' }, t('rounds.open'))));
}

const receiptKey = (id) => `schwarm.receipt.${id}`;

async function roundView(id) {
  const round = await get(`/v1/rounds/${id}`);
  const projects = (await get(`/v1/rounds/${id}/projects`)).items;
  main.append(heading(round.title), h('dl', { class: 'facts' },
    h('dt', {}, t('rounds.state')), h('dd', { id: 'round-state' }, t(`round.${round.state}`)),
    h('dt', {}, t('rounds.budget')), h('dd', {}, money(round.budget_minor, round.currency)),
    h('dt', {}, t('rounds.window')), h('dd', {}, `${dateTime(round.opens_at)} – ${dateTime(round.closes_at)}`),
    h('dt', {}, t('rounds.eligibility')), h('dd', {}, t(`eligibility.${round.eligibility}`))));
  if (round.accepting_ballots) {
    if (role() === 'customer') main.append(ballotForm(round, projects));
    else main.append(h('p', {}, h('a', { href: '#/login' }, t('rounds.login_to_vote'))));
  }
  const kept = sessionStorage.getItem(receiptKey(id));
  if (kept) main.append(receiptBox(JSON.parse(kept)));
  if (['closed', 'tallied', 'allocated'].includes(round.state)) await publishedBallots(round, projects, kept && JSON.parse(kept));
  if (['tallied', 'allocated'].includes(round.state)) await resultBox(round, projects);
}

function ballotForm(round, projects) {
  const cumulative = round.ballot === 'cumulative';
  const limits = h('p', { class: 'limits', id: 'ballot-limits', 'aria-live': 'polite' });
  const message = h('div');
  const inputs = projects.map((p) => cumulative
    ? h('input', { type: 'number', min: 0, max: round.points || undefined, value: 0, id: `c-${p.key}`, 'data-key': p.key, 'data-cost': p.cost_minor })
    : h('input', { type: 'checkbox', id: `c-${p.key}`, 'data-key': p.key, 'data-cost': p.cost_minor }));
  const chosen = () => inputs.filter((i) => (cumulative ? Number(i.value) > 0 : i.checked));
  const update = () => {
    const picked = chosen();
    const cost = picked.reduce((sum, i) => sum + Number(i.dataset.cost), 0);
    const parts = [t('ballot.chosen', { n: picked.length })];
    if (round.min_projects) parts.push(t('ballot.min', { n: round.min_projects }));
    if (round.max_projects) parts.push(t('ballot.max', { n: round.max_projects }));
    if (round.max_total_cost_minor) parts.push(t('ballot.cost', { cost: money(cost, round.currency), max: money(round.max_total_cost_minor, round.currency) }));
    if (cumulative) parts.push(t('ballot.points', { used: picked.reduce((s, i) => s + Number(i.value), 0), max: round.points }));
    limits.textContent = parts.join(' · ');
    const over = (round.max_projects && picked.length > round.max_projects) ||
      (round.max_total_cost_minor && cost > round.max_total_cost_minor);
    limits.classList.toggle('over', Boolean(over));
  };
  inputs.forEach((i) => i.addEventListener('input', update));
  update();
  return h('section', { class: 'panel', 'aria-labelledby': 'ballot-title' }, h('h2', { id: 'ballot-title' }, t('ballot.title')),
    h('form', { onsubmit: async (e) => {
      e.preventDefault();
      clear(message);
      const choices = chosen().map((i) => (cumulative ? { project: i.dataset.key, points: Number(i.value) } : { project: i.dataset.key }));
      try {
        const receipt = await call('PUT', `/v1/rounds/${round.id}/ballot`, { body: { choices } });
        sessionStorage.setItem(receiptKey(round.id), JSON.stringify(receipt));
        say(t('ballot.cast'));
        route();
      } catch (err) {
        message.append(errorBox(err));
      }
    } }, h('fieldset', {}, h('legend', {}, t('ballot.legend')),
      projects.map((p, n) => h('div', { class: 'check' }, inputs[n],
        h('label', { for: `c-${p.key}` }, `${p.name} (${money(p.cost_minor, round.currency)})`)))),
    limits, h('button', { type: 'submit' }, t('ballot.submit'))), message);
}

function receiptBox(receipt) {
  return h('section', { class: 'panel receipt', 'aria-labelledby': 'receipt-title' }, h('h2', { id: 'receipt-title' }, t('receipt.title')),
    h('p', {}, t('receipt.keep')),
    h('dl', { class: 'facts' }, h('dt', {}, t('receipt.receipt')), h('dd', {}, h('code', { id: 'receipt' }, receipt.receipt)),
      h('dt', {}, t('receipt.secret')), h('dd', {}, h('code', { id: 'secret' }, receipt.secret))));
}

async function publishedBallots(round, projects, kept) {
  const names = Object.fromEntries(projects.map((p) => [p.key, p.name]));
  const ballots = (await get(`/v1/rounds/${round.id}/ballots?limit=200`)).items;
  const find = field(t('ballots.find'), { name: 'find', value: kept ? kept.receipt : '', autocomplete: 'off' });
  const found = h('p', { id: 'ballot-found', 'aria-live': 'polite' });
  const rows = ballots.map((b) => {
    const row = [h('code', {}, b.receipt.slice(0, 16) + '…'), b.choices.map((c) => names[c.project] || c.project).join(', ')];
    row.attrs = { 'data-receipt': b.receipt };
    return row;
  });
  const list = table([t('receipt.receipt'), t('ballots.choices')], rows, { id: 'ballots' });
  const look = () => {
    const wanted = value(find).trim();
    let hit = null;
    list.querySelectorAll('tbody tr').forEach((tr) => {
      const match = wanted && tr.dataset.receipt === wanted;
      tr.classList.toggle('mine', Boolean(match));
      if (match) hit = tr;
    });
    found.textContent = !wanted ? '' : hit ? t('ballots.found', { choices: hit.lastChild.textContent }) : t('ballots.not_found');
  };
  main.append(h('section', { 'aria-labelledby': 'ballots-title' }, h('h2', { id: 'ballots-title' }, t('ballots.title', { n: ballots.length })),
    h('form', { onsubmit: (e) => { e.preventDefault(); look(); } }, find, h('button', { type: 'submit' }, t('ballots.find_button'))), found, list));
  look();
}

async function resultBox(round, projects) {
  const result = await get(`/v1/rounds/${round.id}/result`);
  const selected = new Set((result.selected || []).map((s) => (typeof s === 'string' ? s : s.key || s.project)));
  const max = Math.max(1, ...projects.map((p) => p.cost_minor));
  main.append(h('section', { 'aria-labelledby': 'result-title' }, h('h2', { id: 'result-title' }, t('result.title')),
    h('ul', { class: 'chart' }, projects.map((p) => h('li', { class: selected.has(p.key) ? 'won' : '' },
      h('span', { class: 'name' }, `${p.name}${selected.has(p.key) ? ` – ${t('result.selected')}` : ''}`),
      h('span', { class: `bar w${Math.round((p.cost_minor * 20) / max) * 5}`, 'aria-hidden': 'true' }),
      h('span', { class: 'value' }, money(p.cost_minor, round.currency)))))));
}

// --- staff: the loan review queue, four eyes ------------------------------

async function reviewsView() {
  if (!needs('staff')) return;
  main.append(heading(t('reviews.title')));
  const page = await get('/v1/risk/reviews?state=waiting');
  if (!page.items.length) return main.append(h('p', {}, t('reviews.none')));
  main.append(table([t('reviews.project'), t('reviews.principal'), t('reviews.approvals'), t('reviews.decision')],
    page.items.map((r) => [h('a', { href: `#/reviews/${r.project_id}` }, t('reviews.project_n', { id: r.project_id })),
      money(r.principal_minor, r.currency), `${r.approvals} / ${r.approvals_needed}`, r.latest_decision || '–']), { id: 'reviews' }));
}

async function reviewView(id) {
  if (!needs('staff')) return;
  const r = await get(`/v1/risk/reviews/${id}`);
  const project = r.project || {};
  main.append(heading(t('reviews.of', { title: project.title || id })));
  main.append(h('dl', { class: 'facts', id: 'review' },
    h('dt', {}, t('reviews.state')), h('dd', { id: 'review-state' }, t(`review.${r.state}`)),
    h('dt', {}, t('reviews.principal')), h('dd', {}, money(r.principal_minor, r.currency)),
    h('dt', {}, t('reviews.approvals')), h('dd', { id: 'approvals' }, `${r.approvals} / ${r.approvals_needed}`),
    r.approvals_needed > 1 ? [h('dt', {}, t('reviews.four_eyes')), h('dd', {}, t('reviews.four_eyes_text'))] : null));
  for (const c of r.checks || []) {
    main.append(h('p', { class: 'check-result' }, `${c.provider}: ${c.state}${c.decision ? ` · ${c.decision}` : ''}${c.score != null ? ` · ${c.score}` : ''}`));
  }
  const message = h('div', { id: 'review-message', 'aria-live': 'polite' });
  const reason = field(t('reviews.reason'), { name: 'reason' });
  if (r.state === 'waiting') {
    main.append(h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'approve', onclick: async () => {
        clear(message);
        try {
          await call('POST', `/v1/risk/reviews/${id}/approve`);
          const now = await get(`/v1/risk/reviews/${id}`);
          const done = t('reviews.approved_n', { n: now.approvals, of: now.approvals_needed });
          say(done);
          await route();
          document.getElementById('review-message').append(h('p', { class: 'ok' }, done));
        } catch (err) {
          message.append(errorBox(err));
        }
      } }, t('reviews.approve')),
      h('form', { class: 'inline', onsubmit: async (e) => {
        e.preventDefault();
        clear(message);
        try {
          await call('POST', `/v1/risk/reviews/${id}/reject`, { body: { reason: value(reason) } });
          await route();
        } catch (err) {
          message.append(errorBox(err));
        }
      } }, reason, h('button', { type: 'submit', class: 'danger' }, t('reviews.reject')))));
  }
  main.append(message);
}

// --- staff: deposits and payouts of a customer's wallet ---------------------

function staffWalletsView() {
  if (!needs('staff')) return;
  main.append(heading(t('wallets.title')), h('p', {}, t('wallets.intro')));
  const customer = field(t('wallets.customer'), { name: 'user_id', inputmode: 'numeric', required: true, autocomplete: 'off' });
  const amount = field(t('wallets.amount'), { name: 'amount', inputmode: 'decimal', autocomplete: 'off' });
  const shown = h('div', { id: 'staff-wallet', 'aria-live': 'polite' });
  let key = newKey(); // one per booking the user means; kept for a retry
  const show = (w) => {
    clear(shown).append(h('dl', { class: 'facts' },
      h('dt', {}, t('wallet.balance')), h('dd', {}, money(w.balance_minor, w.currency)),
      h('dt', {}, t('wallet.held')), h('dd', {}, money(w.held_minor, w.currency)),
      h('dt', {}, t('wallet.available')), h('dd', { id: 'staff-available' }, money(w.available_minor, w.currency))));
  };
  const userId = () => value(customer).trim();
  const book = async (kind) => {
    const minor = parseMoney(value(amount));
    if (!/^\d+$/.test(userId()) || minor === null) {
      shown.append(h('p', { class: 'error', role: 'alert' }, t('wallets.bad_input')));
      return;
    }
    try {
      const done = await call('POST', `/v1/wallets/${userId()}/${kind}`, { body: { amount_minor: minor, currency: 'EUR' }, key });
      key = newKey();
      show(done.wallet);
      shown.append(h('p', { class: 'ok' }, t(`wallets.${kind}_done`, { amount: money(minor) })));
    } catch (err) {
      shown.append(errorBox(err));
    }
  };
  main.append(h('form', { novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clear(shown);
    try {
      show(await get(`/v1/wallets/${encodeURIComponent(userId())}?currency=EUR`));
    } catch (err) {
      shown.append(errorBox(err));
    }
  } }, customer, h('button', { type: 'submit' }, t('wallets.show'))),
  amount, h('div', { class: 'actions' },
    h('button', { type: 'button', onclick: () => book('deposits') }, t('wallets.deposit')),
    h('button', { type: 'button', class: 'danger', onclick: () => book('payouts') }, t('wallets.payout'))), shown);
}

// --- auditors: trial balance, verification, exports -------------------------

async function booksView() {
  if (!needs('auditor')) return;
  main.append(heading(t('books.title')));
  const verify = await get('/v1/ledger/verify');
  main.append(h('section', { 'aria-labelledby': 'verify-title' }, h('h2', { id: 'verify-title' }, t('books.verify')),
    h('p', { id: 'verify', class: verify.ok ? 'ok' : 'error' }, verify.ok
      ? t('books.verified', { entries: verify.entries_checked, accounts: verify.accounts_checked, blocks: verify.chain.blocks_checked })
      : t('books.discrepancy', { what: JSON.stringify(verify.first_discrepancy || verify.chain.first_discrepancy) }))));
  const tb = await get('/v1/ledger/trial-balance');
  main.append(h('section', { 'aria-labelledby': 'tb-title' }, h('h2', { id: 'tb-title' }, t('books.trial_balance')),
    h('p', { id: 'balanced' }, tb.balanced ? t('books.balanced') : t('books.unbalanced')),
    table([t('books.code'), t('books.name'), t('books.type'), t('books.debits'), t('books.credits')],
      tb.accounts.map((a) => [a.code, a.name, a.type, money(a.debits_minor, a.currency), money(a.credits_minor, a.currency)]), { id: 'trial-balance' })));
  const message = h('div', { 'aria-live': 'polite' });
  main.append(h('section', { 'aria-labelledby': 'export-title' }, h('h2', { id: 'export-title' }, t('books.export')),
    h('div', { class: 'actions' }, ['csv', 'jsonl', 'hledger', 'gobd'].map((format) => h('button', { type: 'button', id: `export-${format}`, onclick: () => download(format, message) }, t('books.download', { format })))),
    message));
}

// The export needs the bearer token, so it is fetched and handed to the
// browser as a file (the token never goes into a link).
async function download(format, message) {
  clear(message);
  try {
    const res = await call('GET', `/v1/ledger/export?format=${format}`, { raw: true });
    const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') || '');
    const blob = await res.blob();
    const url = URL.createObjectURL(blob);
    const a = h('a', { href: url, download: name ? name[1] : `schwarm-export.${format}` });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    message.append(h('p', {}, t('books.downloaded', { name: a.download, size: blob.size })));
  } catch (err) {
    message.append(errorBox(err));
  }
}

// --- start ----------------------------------------------------------------

// The skip link moves the focus to the content; the hash stays the page's route.
document.getElementById('skip-link').addEventListener('click', (e) => {
  e.preventDefault();
  mainEl.focus();
});

const select = document.getElementById('lang-select');
select.value = lang();
select.addEventListener('change', () => {
  setLang(select.value);
  route();
});
window.addEventListener('hashchange', route);
route();
