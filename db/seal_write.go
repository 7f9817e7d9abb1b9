package db

// sealNewReport returns a copy of in with its text, reporter contact and
// attachment bytes sealed to the team key; in itself is left as it was, so
// the caller can still validate or index its plaintext in memory.
func (db *DB) sealNewReport(in *NewReport) (*NewReport, error) {
	out := *in
	if err := db.sealTexts(&out.Title, &out.Asset, &out.Description, &out.Steps, &out.Impact,
		&out.Reporter.Name, &out.Reporter.Email, &out.Reporter.PGPKey); err != nil {
		return nil, err
	}
	out.Attachments = make([]NewAttachment, len(in.Attachments))
	for i, a := range in.Attachments {
		if err := db.sealAttachment(&a); err != nil {
			return nil, err
		}
		out.Attachments[i] = a
	}
	out.sealed = true
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
	if a.sealed != nil {
		return nil
	}
	b, err := db.sealBytes(a.Data)
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
