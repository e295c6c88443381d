package postgres_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open12345/hotline/postgres"
	"github.com/open12345/hotline/postgres/pgtest"
	"github.com/open12345/hotline/quota"
)

func TestQuotaStore_WindowsReleaseAndReset(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewQuotaStore(pgtest.NewDB(t))
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rule := quota.Rule{Max: 2, Window: time.Minute}
	a := quota.Claim{Key: "a", Rule: rule}
	for i := range 2 {
		if wait, err := s.Take(ctx, now, a); err != nil || wait != 0 {
			t.Fatalf("take %d: %v %v", i, wait, err)
		}
	}
	wait, err := s.Take(ctx, now.Add(10*time.Second), a)
	if err != nil || wait != 50*time.Second {
		t.Fatalf("third take: wait %v %v, want 50s", wait, err)
	}
	if err := s.Release(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if wait, _ := s.Take(ctx, now.Add(10*time.Second), a); wait != 0 {
		t.Fatalf("after a release: wait %v", wait)
	}
	if wait, _ := s.Take(ctx, now.Add(time.Minute), a); wait != 0 {
		t.Fatalf("a new window: wait %v", wait)
	}
	uses, err := s.Uses(ctx, now.Add(time.Minute), "a", "b")
	if err != nil || uses["a"].Count != 1 || len(uses) != 1 || !uses["a"].WindowEnd.Equal(now.Add(2*time.Minute)) {
		t.Fatalf("uses %v %v", uses, err)
	}
	// All or none: a used-up claim counts nothing of the others.
	b := quota.Claim{Key: "b", Rule: quota.Rule{Max: 1, Window: time.Hour}}
	if wait, _ := s.Take(ctx, now, b); wait != 0 {
		t.Fatal("b")
	}
	if wait, _ := s.Take(ctx, now, a, b); wait <= 0 {
		t.Fatal("a take with a used-up claim passed")
	}
	if uses, _ := s.Uses(ctx, now.Add(time.Minute), "a"); uses["a"].Count != 1 {
		t.Fatalf("the refused take counted a: %v", uses)
	}
	if err := s.Reset(ctx, "a", "b"); err != nil {
		t.Fatal(err)
	}
	if uses, _ := s.Uses(ctx, now, "a", "b"); len(uses) != 0 {
		t.Fatalf("after reset: %v", uses)
	}
}

func TestQuotaStore_ParallelTakesNeverExceedTheRule(t *testing.T) {
	ctx := context.Background()
	s := postgres.NewQuotaStore(pgtest.NewDB(t))
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	claims := []quota.Claim{{Key: "k", Rule: quota.Rule{Max: 7, Window: time.Hour}},
		{Key: "j", Rule: quota.Rule{Max: 100, Window: time.Hour}}}
	var granted atomic.Int32
	var wg sync.WaitGroup
	for i := range 60 {
		wg.Go(func() {
			c := claims
			if i%2 == 1 { // the other key order too: no deadlock
				c = []quota.Claim{claims[1], claims[0]}
			}
			wait, err := s.Take(ctx, now, c...)
			if err != nil {
				t.Error(err)
			} else if wait == 0 {
				granted.Add(1)
			}
		})
	}
	wg.Wait()
	if granted.Load() != 7 {
		t.Fatalf("%d of 60 parallel takes passed a rule of 7", granted.Load())
	}
	if uses, _ := s.Uses(ctx, now, "j"); uses["j"].Count != 7 {
		t.Fatalf("j counted %d, want 7 (only with k)", uses["j"].Count)
	}
}
