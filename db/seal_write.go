package db

// sealNewReport returns a copy of in with its text, reporter contact and
// attachment bytes sealed to the team key, all under one session key that
// the copy keeps: the mail composed about the report in the writing
// transaction is sealed with it too (Tx.sealTexts), so the single writer
// runs no key agreement. in itself is left as it was, so the caller can
// still validate or index its plaintext in memory, and the copy points to
// it for the event the report's creation sends (the Notifier reads the
// report as it was submitted, not opened again inside the writer).
// Close the copy's session when the report is stored.
func (db *DB) sealNewReport(in *NewReport) (*NewReport, error) {
	s, err := db.newSealSession()
	if err != nil {
		return nil, err
	}
	out := *in
	if err := s.texts(&out.Title, &out.Asset, &out.Description, &out.Steps, &out.Impact,
		&out.Reporter.Name, &out.Reporter.Email, &out.Reporter.PGPKey); err != nil {
		s.close()
		return nil, err
	}
	out.Attachments = make([]NewAttachment, len(in.Attachments))
	for i, a := range in.Attachments {
		if err := sealAttachmentWith(s, &a); err != nil {
			s.close()
			return nil, err
		}
		out.Attachments[i] = a
	}
	out.sealed, out.plain, out.session = true, in, s
	return &out, nil
}

// sealedMessage returns a copy of m with its body and attachments sealed;
// m itself keeps its plaintext, which the caller still mails to the reporter
// (a reply) or hands to the Notifier.
func (db *DB) sealedMessage(m *NewMessage) (*NewMessage, error) {
	out := *m
	if err := db.sealTexts(&out.Body); err != nil {
		return nil, err
	}
	out.Attachments = make([]NewAttachment, len(m.Attachments))
	for i, a := range m.Attachments {
		if err := db.sealAttachment(&a); err != nil {
			return nil, err
		}
		out.Attachments[i] = a
	}
	out.sealed = true
	return &out, nil
}

// sealAttachment seals a's bytes, keeping the size and digest of the
// plaintext for the listing (they identify a file only to someone who has it).
func (db *DB) sealAttachment(a *NewAttachment) error {
	return sealAttachmentWith(&sealSession{db: db}, a)
}

func sealAttachmentWith(s *sealSession, a *NewAttachment) error {
	if a.sealed != nil {
		return nil
	}
	b, err := s.bytes(a.Data)
	if err != nil {
		return err
	}
	a.plainSize, a.plainSHA256 = len(a.Data), sha256Hex(a.Data)
	a.sealed, a.Data = b, nil
	return nil
}

// stored is what attachment_data keeps: the sealed bytes when sealed.
func (a *NewAttachment) stored() []byte {
	if a.sealed != nil {
		return a.sealed
	}
	return a.Data
}

// sealTexts seals values of a row about reportID: under the session of that
// report when this transaction is storing it (the acknowledgement and the
// staff notices composed in the same transaction), else in a session of
// their own.
func (tx *Tx) sealTexts(reportID int64, ss ...*string) error {
	if tx.session != nil && reportID != 0 && reportID == tx.sessionReport {
		return tx.session.texts(ss...)
	}
	return tx.db.sealTexts(ss...)
}
