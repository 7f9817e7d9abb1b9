package db

import "context"

// CreateReportAs stores a report that staff enter for a reporter who used
// another channel (a phone call, a ticket elsewhere; the API's POST
// /api/v1/reports): the same checks and transaction as a submission
// (CreateReport), with the staff actor in the audit log beside the
// submission row. The receipt code is returned once, for staff to pass on.
func (db *DB) CreateReportAs(ctx context.Context, in *NewReport, lim Limits, actor Actor) (*Receipt, error) {
	if errs := in.Validate(lim); errs != nil {
		return nil, Invalid(errs)
	}
	code, hash, err := newReceiptCode()
	if err != nil {
		return nil, err
	}
	in = db.withAddressHash(in)
	if db.sealOn {
		if in, err = db.sealNewReport(in); err != nil {
			return nil, err
		}
		defer in.session.close()
	}
	var rc *Receipt
	err = db.Update(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if rc, err = tx.createReport(ctx, in, hash); err != nil {
			return err
		}
		return tx.audit(ctx, actor, "report.create", rc.Ref, "source="+string(in.Source))
	})
	if err != nil {
		return nil, err
	}
	rc.Code = code
	return rc, nil
}
