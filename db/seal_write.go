package db

// sealNewReport returns a copy of in with its text and reporter contact
// sealed to the team key, all under one session key that the copy keeps:
// the report's files are sealed with it too (Tx.sessionFor, Tx.sealTexts),
// so the single writer runs no key agreement. The files are sealed as they
// are written, streaming into their chunks, so that no sealed copy of them
// is ever held in memory. in itself is left as it was, so the caller can
// still validate or index its plaintext in memory. The report's mail is
// composed later, from the event it records (notify.go). Close the copy's
// session when the report is stored.
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
	out.sealed, out.session = true, s
	return &out, nil
}

// sessionFor returns the session to seal an entry of reportID in: the
// report's own while this transaction stores it, else a new one when the
// entry has files (its body and files then cost one key agreement), else
// nil (the body is sealed alone). owned says the caller must close it.
func (tx *Tx) sessionFor(reportID int64, files bool) (s *sealSession, owned bool, err error) {
	if tx.session != nil && reportID != 0 && reportID == tx.sessionReport {
		return tx.session, false, nil
	}
	if !files {
		return nil, false, nil
	}
	if s, err = tx.db.newSealSession(); err != nil {
		return nil, false, err
	}
	return s, true, nil
}

// sealedMessage returns a copy of m with its body sealed (in s when not
// nil); m itself keeps its plaintext for the caller. The files are sealed
// as they are written (addAttachment).
func (tx *Tx) sealedMessage(m *NewMessage, s *sealSession) (*NewMessage, error) {
	out := *m
	var err error
	if s != nil {
		err = s.texts(&out.Body)
	} else {
		err = tx.sealTexts(m.ReportID, &out.Body)
	}
	if err != nil {
		return nil, err
	}
	out.sealed = true
	return &out, nil
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
