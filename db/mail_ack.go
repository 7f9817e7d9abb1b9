package db

import (
	"context"
	"fmt"
	"time"
)

// AckKind is the outbox kind of acknowledgements, of web reports (the
// event worker's) and of mailed ones (intake's) alike.
const AckKind = "ack"

// Acknowledgements to one recipient are capped, web and mail together: the
// address on a web form and the From of a mail are whatever a stranger
// types, so without a cap the portal would mail a victim one signed
// acknowledgement per report a stranger files in their name, and an
// auto-responder that ignores Auto-Submitted and threading would trade
// acknowledgements with the portal for ever. The reports are still opened
// and the web form still shows its receipt; only the mail stops, and the
// report's timeline says so to staff.
const (
	maxAcksPerHour = 5
	maxAcksPerDay  = 10
)

// EnqueueAck writes the acknowledgement m to the outbox unless its recipient
// reached the cap. The recipient is counted by
// the keyed hash of its normal form (NormalAddress) in ack_recipients: it
// works while addresses are sealed, a copy of the database alone cannot test
// guesses against it, and no hash is kept longer than the day the cap looks
// at. An acknowledgement composed while the team key is locked carries no
// readable recipient: the reporter's stored hash stands for it.
func (tx *Tx) EnqueueAck(ctx context.Context, m *OutMail) error {
	var hash []byte
	if m.To != SealedText {
		hash = tx.db.addressHash(m.To)
	} else if m.ReportID != 0 {
		rp, err := tx.reporterAddressOf(ctx, m.ReportID)
		if err != nil {
			return err
		}
		hash = rp.hash
	}
	if hash == nil {
		// No address to count (a sealed row older than the hash while the
		// key is locked): sending uncounted is what the cap is against.
		return tx.noteAckNotSent(ctx, m.ReportID, "No acknowledgement was mailed: the reporter's sealed address could not be counted against the cap while the team key was locked.")
	}
	ok, err := tx.mayAcknowledge(ctx, hash)
	if err != nil {
		return err
	}
	if !ok {
		return tx.noteAckNotSent(ctx, m.ReportID, fmt.Sprintf("No acknowledgement was mailed: its address already received %d in the last hour or %d in the last day (the cap against mail sent in someone else's name).", maxAcksPerHour, maxAcksPerDay))
	}
	if _, err := tx.enqueueMail(ctx, m); err != nil {
		return err
	}
	now := formatTime(tx.now)
	if _, err := tx.ExecContext(ctx, `DELETE FROM ack_recipients WHERE created_at <= ?`, formatTime(tx.now.Add(-ackDay))); err != nil {
		return fmt.Errorf("db: forget old acknowledgements: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO ack_recipients (hash, created_at) VALUES (?, ?)`, hash, now); err != nil {
		return fmt.Errorf("db: count acknowledgement: %w", err)
	}
	return nil
}

const ackDay = 24 * time.Hour

// mayAcknowledge says whether the recipient with address hash hash is
// under the cap: a short range read of the index ack_recipients_hash.
func (tx *Tx) mayAcknowledge(ctx context.Context, hash []byte) (bool, error) {
	var day, hour int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(created_at > ?), 0) FROM ack_recipients
		WHERE hash = ? AND created_at > ?`,
		formatTime(tx.now.Add(-time.Hour)), hash, formatTime(tx.now.Add(-ackDay))).Scan(&day, &hour)
	if err != nil {
		return false, fmt.Errorf("db: count acknowledgements: %w", err)
	}
	return hour < maxAcksPerHour && day < maxAcksPerDay, nil
}

// noteAckNotSent tells staff, on the report's timeline only, why its
// reporter got no acknowledgement.
func (tx *Tx) noteAckNotSent(ctx context.Context, reportID int64, why string) error {
	if reportID == 0 {
		return nil
	}
	_, err := tx.addMessage(ctx, &NewMessage{ReportID: reportID, Kind: KindEvent, Public: false, Event: "mail.ack_capped", Body: why})
	return err
}
