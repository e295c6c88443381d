package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/open12345/hotline/errs"
)

// translate turns a pgx error into a coded error, once, with what was
// being done. Coded errors pass through unchanged.
// isUniqueViolation reports whether err is PostgreSQL's unique_violation.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

func translate(err error, doing string) error {
	if err == nil {
		return nil
	}
	var coded *errs.Error
	if errors.As(err, &coded) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return errs.Wrap(errs.NotFound, err, "%s: not found", doing)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrap(errs.Unavailable, err, "%s: timed out", doing)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "23505": // unique_violation
			return errs.Wrap(errs.Conflict, err, "%s: already exists", doing)
		case "23503": // foreign_key_violation
			return errs.Wrap(errs.Invalid, err, "%s: refers to something that does not exist", doing)
		case "23514", "22001", "22P02": // check_violation, string too long, invalid text
			return errs.Wrap(errs.Invalid, err, "%s: invalid value", doing)
		case "40001", "40P01": // serialization failure, deadlock
			return errs.Wrap(errs.Conflict, err, "%s: concurrent change, try again", doing)
		case "57P01", "57P02", "57P03", "53300": // shutdown, too many connections
			return errs.Wrap(errs.Unavailable, err, "%s: database unavailable", doing)
		}
		return fmt.Errorf("%s: %w", doing, err)
	}
	if pgconn.SafeToRetry(err) || errors.Is(err, pgx.ErrTxClosed) {
		return errs.Wrap(errs.Unavailable, err, "%s: database unavailable", doing)
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return errs.Wrap(errs.Unavailable, err, "%s: database unavailable", doing)
	}
	return fmt.Errorf("%s: %w", doing, err)
}
