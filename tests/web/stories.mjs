// The web front's stories in Debian's chromium, driven by playwright-core
// (nothing downloads a browser: executablePath is the system's chromium).
//
//   node stories.mjs STORY FIXTURE.json RESULT.json
//
// FIXTURE is what tests/web/web_test.cpp set up through the API (base_url,
// ids, tokens, accounts). The story fails on the first step that does not
// show what it should, on any error in the page's console (a CSP violation
// is one) and on any uncaught exception; only a story that passed writes
// RESULT (what the C++ test then checks through the API). Screenshots of the
// main pages go to fixture.screenshots.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [story, fixturePath, resultPath] = process.argv.slice(2);
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8'));
const base = fixture.base_url;
const STEP_MS = 30000; // what one page step may take on a loaded machine (2 cores, ctest -j2)

mkdirSync(fixture.screenshots, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), 'schwarm-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.SCHWARM_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  ignoreHTTPSErrors: true, // the test certificate is self-signed
  acceptDownloads: true,
  locale: 'de-DE',
  viewport: { width: 1200, height: 900 },
});
context.setDefaultTimeout(STEP_MS);

const problems = [];
function watch(page) {
  page.on('console', (msg) => {
    // 4xx answers the story provokes on purpose show up as failed loads; the
    // rest (a CSP violation, a script error) are the page's faults.
    if (msg.type() === 'error' && !/the server responded with a status of 4\d\d/.test(msg.text())) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  return page;
}

const page = watch(context.pages()[0] || (await context.newPage()));
let shots = 0;
async function shot(name) {
  await page.screenshot({ path: join(fixture.screenshots, `${story}-${String(++shots).padStart(2, '0')}-${name}.png`), fullPage: true });
}

// The API directly, for what the story's other people do (staff, a clock).
async function api(method, path, { token, body, key } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (key) headers['Idempotency-Key'] = key;
  const res = await context.request.fetch(base + path, { method, headers, data: body });
  const text = await res.text();
  return { status: res.status(), json: text ? JSON.parse(text) : null };
}

async function heading(text) {
  await page.getByRole('heading', { level: 1, name: text }).waitFor();
  // The new page's title gets the focus (screen readers start there).
  await page.waitForFunction((wanted) => document.activeElement && document.activeElement.id === 'page-title' &&
    document.activeElement.textContent === wanted, text, { timeout: STEP_MS });
}

async function logIn(email, password) {
  await page.goto(`${base}/#/login`);
  await heading('Anmelden');
  await page.getByLabel('E-Mail').fill(email);
  await page.getByLabel('Passwort').fill(password);
  await page.getByRole('button', { name: 'Anmelden' }).click();
  await page.getByRole('button', { name: 'Abmelden' }).waitFor();
}

async function logOut() {
  await page.getByRole('button', { name: 'Abmelden' }).click();
  await page.getByRole('link', { name: 'Anmelden' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('schwarm.session')), null);
}

// The token the page holds: in sessionStorage, never in the address.
async function pageToken() {
  assert.ok(!page.url().includes('token'));
  const s = JSON.parse(await page.evaluate(() => sessionStorage.getItem('schwarm.session')));
  assert.ok(s && s.token, 'the page keeps its session in sessionStorage');
  assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k !== 'schwarm.lang').length), 0,
    'nothing but the language in localStorage');
  return s.token;
}

const stories = {
  // A customer registers, backs a project (refused first: not an amount,
  // more than the wallet holds), sees the reflection period and revokes.
  async 'back-and-revoke'() {
    await page.goto(`${base}/`);
    await heading('Projekte');
    // Both languages have every string, and every literal key the pages use.
    const keys = await page.evaluate(async () => (await import('/assets/i18n.js')).keys);
    assert.deepEqual([...keys.de].sort(), [...keys.en].sort(), 'German and English have the same strings');
    const used = [...readFileSync(new URL('../../api/web/assets/app.js', import.meta.url), 'utf8')
      .matchAll(/\bt\('([a-z_.]+)'/g)].map((m) => m[1]);
    assert.ok(used.length > 50);
    assert.deepEqual(used.filter((k) => !keys.en.includes(k)), [], 'strings the table lacks');
    // The keyboard: the skip link comes first and leads to the content (the
    // route stays), and Tab from there reaches the search field.
    assert.equal(await page.evaluate(() => document.querySelector('a[href], button, input, select').id), 'skip-link');
    await page.focus('#skip-link');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'main');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('type')), 'search');
    assert.equal(new URL(page.url()).hash, '');
    // A phone's width: nothing wider than the screen.
    await page.setViewportSize({ width: 360, height: 760 });
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling at 360 px');
    await shot('projects-phone');
    await page.setViewportSize({ width: 1200, height: 900 });
    const card = page.locator('.card', { hasText: 'Dorfladen Kleinwalde' });
    await card.getByRole('progressbar').waitFor();
    assert.match(await card.textContent(), /noch \d+ Tage/);
    assert.equal(await card.getByRole('progressbar').getAttribute('aria-valuenow'), '0');
    await shot('projects');

    // The language switch: the same page in English, then back.
    await page.getByLabel('Sprache').selectOption('en');
    await heading('Projects');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.match(await card.textContent(), /\d+ days left/);
    await page.getByLabel('Language').selectOption('de');
    await heading('Projekte');

    // Search: a word of the title finds it, another finds nothing.
    await page.getByLabel('Suche').fill('Kleinwalde');
    await page.getByRole('button', { name: 'Suchen' }).click();
    await page.locator('.card', { hasText: 'Dorfladen Kleinwalde' }).waitFor();
    await page.getByLabel('Suche').fill('Schwimmbadxyz');
    await page.getByRole('button', { name: 'Suchen' }).click();
    await page.getByText('Keine passenden Projekte.').waitFor();
    await page.getByLabel('Suche').fill('');
    await page.getByRole('button', { name: 'Suchen' }).click();

    // Register: a short password is refused with the field named; then it works.
    await page.getByRole('link', { name: 'Registrieren' }).click();
    await heading('Registrieren');
    await page.getByLabel('E-Mail').fill(fixture.email);
    await page.getByLabel('Name').fill('Neue Kundin');
    await page.getByLabel('Passwort').fill('kurz');
    await page.getByRole('button', { name: 'Registrieren' }).click();
    await page.getByRole('alert').waitFor();
    assert.equal(await page.getByLabel('Passwort').getAttribute('aria-invalid'), 'true');
    await page.getByLabel('Passwort').fill(fixture.password);
    await page.getByRole('button', { name: 'Registrieren' }).click();
    await page.getByRole('button', { name: 'Abmelden' }).waitFor();
    await heading('Projekte');
    const token = await pageToken();

    // Staff book 50.00 EUR into the new customer's wallet.
    const me = await api('GET', '/v1/users/me', { token });
    assert.equal(me.status, 200);
    const deposit = await api('POST', `/v1/wallets/${me.json.id}/deposits`,
      { token: fixture.staff_token, key: `web-deposit-${me.json.id}`, body: { amount_minor: 5000, currency: 'EUR' } });
    assert.equal(deposit.status, 201);

    await page.goto(`${base}/#/projects/${fixture.project_id}`);
    await heading('Dorfladen Kleinwalde');
    await shot('project');
    const amount = page.getByLabel('Betrag (EUR)');
    await amount.fill('zwanzig');
    await page.getByRole('button', { name: 'Unterstützen' }).click();
    await page.getByText('Bitte einen Betrag wie 25 oder 25,50 eingeben.').waitFor();
    await amount.fill('80');
    await page.getByRole('button', { name: 'Unterstützen' }).click();
    await page.getByText('Ihr Konto deckt den Betrag nicht.', { exact: false }).waitFor();
    await amount.fill('25,00');
    // A double click books one pledge (the C++ test counts them).
    await page.getByRole('button', { name: 'Unterstützen' }).dblclick();
    await page.locator('#pledge-done').getByText(/Sie haben 25,00\s€ zugesagt\./).waitFor();
    const reflection = page.locator('#pledge-done .reflection');
    assert.match(await reflection.textContent(), /Bedenkzeit: Sie können diese Zusage bis .+ widerrufen\./);
    await shot('pledged');

    // The wallet shows the hold.
    await page.getByRole('link', { name: 'Konto' }).click();
    await heading('Konto');
    assert.equal((await page.locator('#available').textContent()).replace(/\s/g, ' '), '25,00 €');
    await page.getByRole('cell', { name: /50,00/ }).first().waitFor();
    await shot('wallet');

    // My pledges: revoke within the reflection period.
    await page.getByRole('link', { name: 'Meine Zusagen' }).click();
    await heading('Meine Zusagen');
    await page.getByRole('button', { name: 'Zusage widerrufen' }).click();
    await page.locator('.pledge .pledge-state', { hasText: 'Widerrufen' }).waitFor();
    await page.getByRole('status').getByText('Ihre Zusage ist widerrufen; das Geld ist wieder frei.').waitFor();
    await shot('revoked');
    await page.getByRole('link', { name: 'Konto' }).click();
    await heading('Konto');
    assert.equal((await page.locator('#available').textContent()).replace(/\s/g, ' '), '50,00 €');

    // Log out: the session is gone from the page and from the server; log in again.
    await logOut();
    await logIn(fixture.email, fixture.password);
    const second = await pageToken();
    assert.notEqual(second, token);
    return { token: second, logged_out_token: token };
  },

  // A loan pledge: refused until the investor profile, the loss simulation
  // and the knowledge test are done (on the investor page), then the risk
  // warning must be acknowledged.
  async 'loan-protection'() {
    await logIn(fixture.email, fixture.password);
    await page.goto(`${base}/#/projects/${fixture.project_id}`);
    await heading(fixture.title);
    assert.equal((await page.locator('#loan-rate').textContent()).replace(/\s/g, ' '), '5,00 %');
    assert.equal(await page.locator('#loan-term').textContent(), '12 Monate');
    await page.getByLabel('Betrag (EUR)').fill('2500');
    await page.getByRole('button', { name: 'Unterstützen' }).click();
    await page.getByRole('alert').waitFor();
    await shot('loan-refused');
    await page.getByRole('link', { name: 'Zum Anlegerprofil' }).click();
    await heading('Anlegerprofil');
    assert.match(await page.locator('#knowledge-test').textContent(), /noch nicht/);
    await page.getByLabel('Jahreseinkommen (EUR)').fill('30.000');
    await page.getByLabel('Liquides Vermögen (EUR)').fill('10000');
    await page.getByLabel('Jährliche Verpflichtungen (EUR)').fill('0');
    await page.getByRole('button', { name: 'Speichern und Verlust simulieren' }).click();
    await page.locator('#loss-simulation', { hasText: /Verlust von 4\.000,00\s€/ }).waitFor();
    // The test's answers as the bank set them (tests/support/platform.cpp).
    for (const [question, option] of Object.entries(fixture.answers)) await page.locator(`#${question}-${option}`).check();
    await page.getByRole('button', { name: 'Antworten' }).click();
    await page.getByText('Bestanden.').waitFor();
    await shot('investor');

    await page.goto(`${base}/#/projects/${fixture.project_id}`);
    await heading(fixture.title);
    await page.getByLabel('Betrag (EUR)').fill('2500');
    await page.getByRole('button', { name: 'Unterstützen' }).click();
    await page.getByRole('heading', { name: 'Risikohinweis' }).waitFor();
    const ack = page.getByLabel('Ich habe den Risikohinweis gelesen', { exact: false });
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === 'risk-ack');
    await shot('risk-warning');
    await ack.check();
    await page.getByRole('button', { name: 'Unterstützen' }).click();
    await page.locator('#pledge-done').getByText(/Sie haben 2\.500,00\s€ zugesagt\./).waitFor();
    // The bar is drawn again once the page has read the project back, after
    // the confirmation: wait for it (up to 10 s), then check what it says.
    const bar = '.project-funding [role=progressbar]';
    await page.waitForFunction((selector) => document.querySelector(selector)?.getAttribute('aria-valuenow') === '50',
      bar, { timeout: 10_000 }).catch(() => {});
    assert.equal(await page.locator(bar).getAttribute('aria-valuenow'), '50');
    return {};
  },

  // A member votes (refused first: a limit of the ballot), keeps the
  // receipt, and after the close finds the ballot in the published list.
  async vote() {
    await logIn(fixture.email, fixture.password);
    await page.getByRole('link', { name: 'Abstimmungen' }).click();
    await heading('Abstimmungen');
    await page.getByLabel('Nummer der Abstimmung').fill(String(fixture.round_id));
    await page.getByRole('button', { name: 'Öffnen' }).click();
    await heading('Dorf 2030');
    const limits = page.locator('#ballot-limits');
    assert.match(await limits.textContent(), /0 gewählt · mindestens 1 · höchstens 1/);
    await page.getByLabel(/^spielplatz/).check();
    await page.getByLabel(/^bibliothek/).check();
    assert.match(await limits.textContent(), /2 gewählt/);
    assert.ok(await limits.evaluate((el) => el.classList.contains('over')), 'the broken limit is shown');
    await page.getByRole('button', { name: 'Stimme abgeben' }).click();
    await page.getByRole('alert').waitFor();
    assert.match(await page.getByRole('alert').textContent(), /Grenze/);
    await shot('ballot-refused');
    await page.getByLabel(/^bibliothek/).uncheck();
    await page.getByRole('button', { name: 'Stimme abgeben' }).click();
    await page.getByRole('heading', { name: 'Ihre Quittung' }).waitFor();
    const receipt = (await page.locator('#receipt').textContent()).trim();
    assert.match(receipt, /^[0-9a-f]{64}$/);
    await shot('receipt');

    // Staff close the round; the page now shows the published ballots.
    const staff = fixture.staff_token;
    assert.equal((await api('POST', `/v1/rounds/${fixture.round_id}/close`, { token: staff })).status, 200);
    await page.reload();
    await heading('Dorf 2030');
    await page.locator('#round-state', { hasText: 'Geschlossen' }).waitFor();
    await page.locator('#ballot-found', { hasText: 'Ihr Stimmzettel: spielplatz' }).waitFor();
    assert.ok(await page.locator(`#ballots tr.mine[data-receipt="${receipt}"]`).count() === 1);
    // A receipt that is not there is said so.
    await page.getByLabel('Meinen Stimmzettel über die Quittung finden').fill('0'.repeat(64));
    await page.getByRole('button', { name: 'Finden' }).click();
    await page.locator('#ballot-found', { hasText: 'Kein Stimmzettel hat diese Quittung.' }).waitFor();
    await page.getByLabel('Meinen Stimmzettel über die Quittung finden').fill(receipt);
    await page.getByRole('button', { name: 'Finden' }).click();
    await page.locator('#ballot-found', { hasText: 'Ihr Stimmzettel: spielplatz' }).waitFor();
    await shot('ballots');

    // Staff count it: the result shows the playground selected, the library not.
    assert.equal((await api('POST', `/v1/rounds/${fixture.round_id}/tally`, { token: staff })).status, 200);
    await page.reload();
    await page.getByRole('heading', { name: 'Ergebnis' }).waitFor();
    await page.locator('.chart li.won', { hasText: 'spielplatz – ausgewählt' }).waitFor();
    assert.equal(await page.locator('.chart li.won').count(), 1);
    await page.locator('#ballot-found', { hasText: 'Ihr Stimmzettel: spielplatz' }).waitFor();
    await shot('result');
    return { receipt };
  },

  // Four eyes: the first staff member approves and cannot approve twice; a
  // second one approves and the loan is approved.
  async 'four-eyes'() {
    await logIn(fixture.first, fixture.password);
    await heading('Kreditprüfung');
    await page.locator('#reviews').getByRole('link', { name: `Projekt ${fixture.project_id}` }).click();
    await page.locator('#approvals', { hasText: '0 / 2' }).waitFor();
    await page.getByText('Zwei verschiedene Mitarbeitende müssen diesem Darlehen zustimmen.').waitFor();
    await shot('review');
    await page.getByRole('button', { name: 'Zustimmen' }).click();
    await page.locator('#approvals', { hasText: '1 / 2' }).waitFor();
    await page.locator('#review-message', { hasText: 'Zugestimmt: 1 von 2 Zustimmungen.' }).waitFor();
    await page.getByRole('button', { name: 'Zustimmen' }).click();
    await page.getByRole('alert').getByText('eine zweite Person muss zustimmen', { exact: false }).waitFor();
    await page.locator('#approvals', { hasText: '1 / 2' }).waitFor();
    await shot('same-person-refused');
    await logOut();

    await logIn(fixture.second, fixture.password);
    await page.goto(`${base}/#/reviews/${fixture.project_id}`);
    await page.locator('#approvals', { hasText: '1 / 2' }).waitFor();
    await page.getByRole('button', { name: 'Zustimmen' }).click();
    await page.locator('#review-state', { hasText: 'Genehmigt' }).waitFor();
    await page.locator('#approvals', { hasText: '2 / 2' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Zustimmen' }).count(), 0);
    await shot('approved');

    // Deposits and payouts: 100.00 EUR in; a payout beyond it is refused; 40.00 out.
    await page.getByRole('link', { name: 'Ein- und Auszahlungen' }).click();
    await heading('Ein- und Auszahlungen');
    await page.getByLabel('Kundennummer').fill(String(fixture.borrower_id));
    await page.getByRole('button', { name: 'Konto zeigen' }).click();
    await page.locator('#staff-available', { hasText: /^0,00\s€$/ }).waitFor();
    await page.getByLabel('Betrag (EUR)').fill('100');
    await page.getByRole('button', { name: 'Einzahlung buchen' }).click();
    await page.locator('#staff-available', { hasText: /^100,00\s€$/ }).waitFor();
    await page.getByLabel('Betrag (EUR)').fill('500');
    await page.getByRole('button', { name: 'Auszahlen' }).click();
    await page.locator('#staff-wallet').getByRole('alert').waitFor();
    await page.getByLabel('Betrag (EUR)').fill('40');
    await page.getByRole('button', { name: 'Auszahlen' }).click();
    await page.locator('#staff-available', { hasText: /^60,00\s€$/ }).waitFor();
    await shot('wallets');
    return {};
  },

  // An auditor sees the verification and the trial balance, and downloads
  // the CSV export (fetched with the token, saved as a file).
  async auditor() {
    await logIn(fixture.email, fixture.password);
    await heading('Bücher');
    await page.locator('#verify', { hasText: 'Geprüft:' }).waitFor();
    await page.locator('#balanced', { hasText: 'Soll und Haben stimmen überein.' }).waitFor();
    assert.ok((await page.locator('#trial-balance tbody tr').count()) >= 2);
    await shot('books');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'csv herunterladen' }).click(),
    ]);
    const csvPath = join(fixture.work, download.suggestedFilename());
    await download.saveAs(csvPath);
    await page.getByText(/heruntergeladen \(\d+ Bytes\)/).waitFor();
    // Staff pages are not the auditor's.
    await page.goto(`${base}/#/reviews`);
    await heading('Bitte melden Sie sich an');
    return { csv_path: csvPath, csv_name: download.suggestedFilename() };
  },
};

let failed = null;
try {
  assert.ok(stories[story], `no story ${story}`);
  const result = await stories[story]();
  assert.deepEqual(problems, [], 'the page logged errors');
  writeFileSync(resultPath, JSON.stringify(result));
  console.log(`story ${story} passed`);
} catch (err) {
  failed = err;
  console.error(`story ${story} failed: ${err.stack || err}`);
  if (problems.length) console.error(problems.join('\n'));
  try {
    await shot('failure');
  } catch {
    // The page may be gone.
  }
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
