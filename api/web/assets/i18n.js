// The strings of the pages, German and English, in one table. The choice is
// kept in localStorage (it is no secret); the default is the browser's.
const LANG_KEY = 'schwarm.lang';

const strings = {
  en: {
    skip: 'Skip to content', language: 'Language', 'nav.label': 'Main navigation',
    'nav.projects': 'Projects', 'nav.rounds': 'Voting rounds', 'nav.pledges': 'My pledges', 'nav.wallet': 'Wallet',
    'nav.investor': 'Investor profile', 'nav.reviews': 'Loan reviews', 'nav.books': 'Books', 'nav.login': 'Log in',
    'nav.register': 'Register', 'nav.logout': 'Log out',
    network_error: 'The server could not be reached. Try again.', not_found: 'There is no such page',
    logged_out: 'You are logged out.', when: 'When',
    'projects.title': 'Projects', 'projects.search': 'Search', 'projects.search_button': 'Search', 'projects.state': 'State',
    'projects.all_states': 'All', 'projects.none': 'No projects match.', 'projects.kind': 'Kind', 'projects.deadline': 'Deadline',
    'projects.backers': 'Backers', 'projects.rate': 'Interest rate', 'projects.term': 'Term', 'projects.login_to_back': 'Log in to back this project',
    months: '{n} months', days_left: '{days} days left', funded_of: '{pledged} of {goal} ({pct} %)',
    'kind.donation': 'Donation', 'kind.reward': 'Reward', 'kind.loan': 'Loan',
    'state.draft': 'Draft', 'state.submitted': 'Submitted', 'state.in_review': 'In review', 'state.approved': 'Approved',
    'state.in_vote': 'In a vote', 'state.selected': 'Selected', 'state.funding': 'Funding', 'state.funded': 'Funded',
    'state.failed': 'Failed', 'state.disbursed': 'Disbursed', 'state.repaying': 'Repaying', 'state.repaid': 'Repaid',
    'state.defaulted': 'Defaulted', 'state.rejected': 'Rejected', 'state.withdrawn': 'Withdrawn', 'state.cancelled': 'Cancelled',
    'back.title': 'Back this project', 'back.amount': 'Amount ({currency})', 'back.submit': 'Back it',
    'back.bad_amount': 'Enter an amount such as 25 or 25.50.', 'back.done': 'You pledged {amount}.',
    'back.warning_title': 'Risk warning', 'back.warning_text': 'You may lose all the money you invest. It is not covered by any deposit guarantee scheme, and you may not be able to sell your investment when you want to.',
    'back.acknowledge': 'I have read the risk warning and back the project anyway', 'back.to_investor': 'Go to your investor profile',
    'reflection.until': 'Reflection period: you may revoke this pledge until {until}.', 'reflection.revoke': 'Revoke pledge',
    'reflection.revoked': 'Your pledge is revoked; the money is free again.',
    'pledge.held': 'Held', 'pledge.revoked': 'Revoked', 'pledge.posted': 'Paid', 'pledge.voided': 'Released', 'pledge.refunded': 'Refunded',
    'register.title': 'Register', 'register.submit': 'Register', 'register.password_hint': 'At least 10 characters.',
    'register.done': 'Welcome! Your account is ready.', email: 'Email', password: 'Password', display_name: 'Name',
    'login.title': 'Log in', 'login.submit': 'Log in', 'login.done': 'Logged in as {name}.', 'login.required': 'Please log in',
    'pledges.title': 'My pledges', 'pledges.none': 'You have not backed a project yet.', 'pledges.to_project': 'Project {id}',
    'wallet.title': 'Wallet', 'wallet.balance': 'Balance', 'wallet.held': 'Held for pledges', 'wallet.available': 'Available',
    'wallet.statement': 'Statement', 'wallet.no_movements': 'No movements yet.', 'wallet.what': 'What', 'wallet.in': 'In', 'wallet.out': 'Out',
    'investor.title': 'Investor profile', 'investor.income': 'Annual income (EUR)', 'investor.assets': 'Liquid assets (EUR)',
    'investor.commitments': 'Annual commitments (EUR)', 'investor.save': 'Save and simulate a loss', 'investor.simulated': 'Loss simulation:',
    'investor.test': 'Knowledge test', 'investor.answer': 'Answer', 'investor.passed': 'Passed.', 'investor.failed': 'Not passed; try again.',
    'rounds.title': 'Voting rounds', 'rounds.intro': 'Open a round by its number (the bank announces it).', 'rounds.number': 'Round number',
    'rounds.open': 'Open', 'rounds.state': 'State', 'rounds.budget': 'Budget', 'rounds.window': 'Voting window',
    'rounds.eligibility': 'Who may vote', 'rounds.login_to_vote': 'Log in to vote',
    'round.draft': 'In preparation', 'round.open': 'Open', 'round.closed': 'Closed', 'round.tallied': 'Counted', 'round.allocated': 'Allocated',
    'eligibility.customers': 'All customers', 'eligibility.members': 'Members of the cooperative',
    'ballot.title': 'Your ballot', 'ballot.legend': 'Projects', 'ballot.submit': 'Cast ballot', 'ballot.cast': 'Your ballot is cast. Keep your receipt.',
    'ballot.chosen': '{n} chosen', 'ballot.min': 'at least {n}', 'ballot.max': 'at most {n}', 'ballot.cost': 'cost {cost} of at most {max}',
    'ballot.points': '{used} of {max} points',
    'receipt.title': 'Your receipt', 'receipt.keep': 'Keep the receipt: after the close you find your ballot with it in the published list.',
    'receipt.receipt': 'Receipt', 'receipt.secret': 'Secret',
    'ballots.title': 'Published ballots ({n})', 'ballots.find': 'Find my ballot by its receipt', 'ballots.find_button': 'Find',
    'ballots.found': 'Found your ballot: {choices}', 'ballots.not_found': 'No ballot has this receipt.', 'ballots.choices': 'Choices',
    'result.title': 'Result', 'result.selected': 'selected',
    'reviews.title': 'Loan reviews', 'reviews.none': 'No loan waits for a review.', 'reviews.project': 'Project', 'reviews.project_n': 'Project {id}',
    'reviews.principal': 'Principal', 'reviews.approvals': 'Approvals', 'reviews.decision': 'Credit check', 'reviews.of': 'Review: {title}',
    'reviews.state': 'State', 'reviews.four_eyes': 'Four eyes', 'reviews.four_eyes_text': 'Two different staff members must approve this loan.',
    'reviews.approve': 'Approve', 'reviews.reject': 'Reject', 'reviews.reason': 'Reason for a rejection',
    'reviews.approved_n': 'Approved: {n} of {of} approvals.',
    'review.waiting': 'Waiting', 'review.info_requested': 'Information requested', 'review.approved': 'Approved', 'review.rejected': 'Rejected', 'review.withdrawn': 'Withdrawn',
    'books.title': 'Books', 'books.verify': 'Verification', 'books.verified': 'Verified: {entries} entries, {accounts} accounts, {blocks} sealed blocks.',
    'books.discrepancy': 'Discrepancy: {what}', 'books.trial_balance': 'Trial balance', 'books.balanced': 'Debits and credits balance.',
    'books.unbalanced': 'Debits and credits do NOT balance.', 'books.code': 'Code', 'books.name': 'Account', 'books.type': 'Type',
    'books.debits': 'Debits', 'books.credits': 'Credits', 'books.export': 'Exports', 'books.download': 'Download {format}',
    'books.downloaded': 'Downloaded {name} ({size} bytes).',
    'problem.risk-second-approval-same-person': 'You approved this loan already; a second staff member must approve it.',
    'problem.risk-conflict-of-interest': 'You may not review this loan.',
    'problem.insufficient-funds': 'Your wallet does not hold enough money.',
    'problem.pledge-not-revocable': 'This pledge can no longer be revoked.',
    'problem.email-taken': 'This email address is registered already.',
    'problem.unauthorized': 'Email or password is wrong, or your session has ended.',
    'problem.not-eligible': 'You may not vote in this round.',
    'problem.ballot-limit': 'The ballot breaks a limit of the round.',
  },
  de: {
    skip: 'Zum Inhalt', language: 'Sprache', 'nav.label': 'Hauptnavigation',
    'nav.projects': 'Projekte', 'nav.rounds': 'Abstimmungen', 'nav.pledges': 'Meine Zusagen', 'nav.wallet': 'Konto',
    'nav.investor': 'Anlegerprofil', 'nav.reviews': 'Kreditprüfung', 'nav.books': 'Bücher', 'nav.login': 'Anmelden',
    'nav.register': 'Registrieren', 'nav.logout': 'Abmelden',
    network_error: 'Der Server ist nicht erreichbar. Bitte erneut versuchen.', not_found: 'Diese Seite gibt es nicht',
    logged_out: 'Sie sind abgemeldet.', when: 'Wann',
    'projects.title': 'Projekte', 'projects.search': 'Suche', 'projects.search_button': 'Suchen', 'projects.state': 'Stand',
    'projects.all_states': 'Alle', 'projects.none': 'Keine passenden Projekte.', 'projects.kind': 'Art', 'projects.deadline': 'Frist',
    'projects.backers': 'Unterstützer', 'projects.rate': 'Zinssatz', 'projects.term': 'Laufzeit', 'projects.login_to_back': 'Zum Unterstützen anmelden',
    months: '{n} Monate', days_left: 'noch {days} Tage', funded_of: '{pledged} von {goal} ({pct} %)',
    'kind.donation': 'Spende', 'kind.reward': 'Gegenleistung', 'kind.loan': 'Darlehen',
    'state.draft': 'Entwurf', 'state.submitted': 'Eingereicht', 'state.in_review': 'In Prüfung', 'state.approved': 'Freigegeben',
    'state.in_vote': 'In Abstimmung', 'state.selected': 'Ausgewählt', 'state.funding': 'In Finanzierung', 'state.funded': 'Finanziert',
    'state.failed': 'Nicht finanziert', 'state.disbursed': 'Ausgezahlt', 'state.repaying': 'In Tilgung', 'state.repaid': 'Getilgt',
    'state.defaulted': 'Ausgefallen', 'state.rejected': 'Abgelehnt', 'state.withdrawn': 'Zurückgezogen', 'state.cancelled': 'Abgebrochen',
    'back.title': 'Projekt unterstützen', 'back.amount': 'Betrag ({currency})', 'back.submit': 'Unterstützen',
    'back.bad_amount': 'Bitte einen Betrag wie 25 oder 25,50 eingeben.', 'back.done': 'Sie haben {amount} zugesagt.',
    'back.warning_title': 'Risikohinweis', 'back.warning_text': 'Sie können das gesamte eingesetzte Geld verlieren. Es ist durch keine Einlagensicherung geschützt, und Sie können Ihre Anlage möglicherweise nicht verkaufen, wann Sie wollen.',
    'back.acknowledge': 'Ich habe den Risikohinweis gelesen und unterstütze das Projekt dennoch', 'back.to_investor': 'Zum Anlegerprofil',
    'reflection.until': 'Bedenkzeit: Sie können diese Zusage bis {until} widerrufen.', 'reflection.revoke': 'Zusage widerrufen',
    'reflection.revoked': 'Ihre Zusage ist widerrufen; das Geld ist wieder frei.',
    'pledge.held': 'Vorgemerkt', 'pledge.revoked': 'Widerrufen', 'pledge.posted': 'Gezahlt', 'pledge.voided': 'Freigegeben', 'pledge.refunded': 'Erstattet',
    'register.title': 'Registrieren', 'register.submit': 'Registrieren', 'register.password_hint': 'Mindestens 10 Zeichen.',
    'register.done': 'Willkommen! Ihr Zugang ist eingerichtet.', email: 'E-Mail', password: 'Passwort', display_name: 'Name',
    'login.title': 'Anmelden', 'login.submit': 'Anmelden', 'login.done': 'Angemeldet als {name}.', 'login.required': 'Bitte melden Sie sich an',
    'pledges.title': 'Meine Zusagen', 'pledges.none': 'Sie haben noch kein Projekt unterstützt.', 'pledges.to_project': 'Projekt {id}',
    'wallet.title': 'Konto', 'wallet.balance': 'Saldo', 'wallet.held': 'Für Zusagen vorgemerkt', 'wallet.available': 'Verfügbar',
    'wallet.statement': 'Umsätze', 'wallet.no_movements': 'Noch keine Umsätze.', 'wallet.what': 'Was', 'wallet.in': 'Eingang', 'wallet.out': 'Ausgang',
    'investor.title': 'Anlegerprofil', 'investor.income': 'Jahreseinkommen (EUR)', 'investor.assets': 'Liquides Vermögen (EUR)',
    'investor.commitments': 'Jährliche Verpflichtungen (EUR)', 'investor.save': 'Speichern und Verlust simulieren', 'investor.simulated': 'Verlustsimulation:',
    'investor.test': 'Kenntnistest', 'investor.answer': 'Antworten', 'investor.passed': 'Bestanden.', 'investor.failed': 'Nicht bestanden; bitte erneut versuchen.',
    'rounds.title': 'Abstimmungen', 'rounds.intro': 'Öffnen Sie eine Abstimmung über ihre Nummer (die Bank gibt sie bekannt).', 'rounds.number': 'Nummer der Abstimmung',
    'rounds.open': 'Öffnen', 'rounds.state': 'Stand', 'rounds.budget': 'Budget', 'rounds.window': 'Abstimmungszeitraum',
    'rounds.eligibility': 'Stimmberechtigt', 'rounds.login_to_vote': 'Zum Abstimmen anmelden',
    'round.draft': 'In Vorbereitung', 'round.open': 'Offen', 'round.closed': 'Geschlossen', 'round.tallied': 'Ausgezählt', 'round.allocated': 'Zugeteilt',
    'eligibility.customers': 'Alle Kundinnen und Kunden', 'eligibility.members': 'Mitglieder der Genossenschaft',
    'ballot.title': 'Ihr Stimmzettel', 'ballot.legend': 'Projekte', 'ballot.submit': 'Stimme abgeben', 'ballot.cast': 'Ihre Stimme ist abgegeben. Bewahren Sie die Quittung auf.',
    'ballot.chosen': '{n} gewählt', 'ballot.min': 'mindestens {n}', 'ballot.max': 'höchstens {n}', 'ballot.cost': 'Kosten {cost} von höchstens {max}',
    'ballot.points': '{used} von {max} Punkten',
    'receipt.title': 'Ihre Quittung', 'receipt.keep': 'Bewahren Sie die Quittung auf: Nach dem Schluss finden Sie damit Ihren Stimmzettel in der veröffentlichten Liste.',
    'receipt.receipt': 'Quittung', 'receipt.secret': 'Geheimnis',
    'ballots.title': 'Veröffentlichte Stimmzettel ({n})', 'ballots.find': 'Meinen Stimmzettel über die Quittung finden', 'ballots.find_button': 'Finden',
    'ballots.found': 'Ihr Stimmzettel: {choices}', 'ballots.not_found': 'Kein Stimmzettel hat diese Quittung.', 'ballots.choices': 'Auswahl',
    'result.title': 'Ergebnis', 'result.selected': 'ausgewählt',
    'reviews.title': 'Kreditprüfung', 'reviews.none': 'Kein Darlehen wartet auf Prüfung.', 'reviews.project': 'Projekt', 'reviews.project_n': 'Projekt {id}',
    'reviews.principal': 'Darlehensbetrag', 'reviews.approvals': 'Zustimmungen', 'reviews.decision': 'Bonitätsprüfung', 'reviews.of': 'Prüfung: {title}',
    'reviews.state': 'Stand', 'reviews.four_eyes': 'Vier Augen', 'reviews.four_eyes_text': 'Zwei verschiedene Mitarbeitende müssen diesem Darlehen zustimmen.',
    'reviews.approve': 'Zustimmen', 'reviews.reject': 'Ablehnen', 'reviews.reason': 'Grund einer Ablehnung',
    'reviews.approved_n': 'Zugestimmt: {n} von {of} Zustimmungen.',
    'review.waiting': 'Wartet', 'review.info_requested': 'Rückfrage gestellt', 'review.approved': 'Genehmigt', 'review.rejected': 'Abgelehnt', 'review.withdrawn': 'Zurückgezogen',
    'books.title': 'Bücher', 'books.verify': 'Prüfung', 'books.verified': 'Geprüft: {entries} Buchungen, {accounts} Konten, {blocks} versiegelte Blöcke.',
    'books.discrepancy': 'Abweichung: {what}', 'books.trial_balance': 'Summen- und Saldenliste', 'books.balanced': 'Soll und Haben stimmen überein.',
    'books.unbalanced': 'Soll und Haben stimmen NICHT überein.', 'books.code': 'Nummer', 'books.name': 'Konto', 'books.type': 'Art',
    'books.debits': 'Soll', 'books.credits': 'Haben', 'books.export': 'Exporte', 'books.download': '{format} herunterladen',
    'books.downloaded': '{name} heruntergeladen ({size} Bytes).',
    'problem.risk-second-approval-same-person': 'Sie haben diesem Darlehen schon zugestimmt; eine zweite Person muss zustimmen.',
    'problem.risk-conflict-of-interest': 'Sie dürfen dieses Darlehen nicht prüfen.',
    'problem.insufficient-funds': 'Ihr Konto deckt den Betrag nicht.',
    'problem.pledge-not-revocable': 'Diese Zusage kann nicht mehr widerrufen werden.',
    'problem.email-taken': 'Diese E-Mail-Adresse ist schon registriert.',
    'problem.unauthorized': 'E-Mail oder Passwort ist falsch, oder Ihre Sitzung ist abgelaufen.',
    'problem.not-eligible': 'Sie sind in dieser Abstimmung nicht stimmberechtigt.',
    'problem.ballot-limit': 'Der Stimmzettel verletzt eine Grenze der Abstimmung.',
  },
};

export function lang() {
  const chosen = localStorage.getItem(LANG_KEY);
  if (chosen && strings[chosen]) return chosen;
  return (navigator.language || 'de').toLowerCase().startsWith('de') ? 'de' : 'en';
}

export function setLang(code) {
  if (strings[code]) localStorage.setItem(LANG_KEY, code);
  document.documentElement.lang = lang();
}

// The string for `key` with {name} filled from `vars`; `fallback` when the
// table lacks it (undefined: the key itself, so a gap shows).
export function t(key, vars = {}, fallback) {
  const text = strings[lang()][key] ?? strings.en[key];
  if (text === undefined) return fallback === undefined ? key : fallback;
  return text.replace(/\{(\w+)\}/g, (_, name) => (vars && vars[name] !== undefined ? String(vars[name]) : `{${name}}`));
}

// Both tables have the same keys (tests/web checks it too).
export const keys = { en: Object.keys(strings.en), de: Object.keys(strings.de) };

document.documentElement.lang = lang();
