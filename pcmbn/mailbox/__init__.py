"""Collecting reports from the standing office's mailbox (issue 16).

One concern per module: `message` (a raw message → sender, received time, attachments, the
loop guard; pure), `senders` (an address → the registry unit it belongs to; pure), `ledger`
(what was already taken from which message, so nothing is taken twice), `imap` (the IMAP
connection: TLS, unseen messages, flags), `replies` (the Vietnamese answer to the unit, sent
with the reminders' mail server) and `collect` (one message through all of them: files reach
the inbox only through `pcmbn.submissions.receive` / `hold`). The Prefect flow
`thu-thap-thu-dien-tu` (`flows/mail_intake.py`) runs `collect.collect_mailbox`.
"""
