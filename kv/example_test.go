package kv_test

import (
	"errors"
	"fmt"

	"github.com/kvcompose/compose/kv"
)

func ExampleValidateName() {
	fmt.Println(kv.ValidateName("data/0123abcd"))
	fmt.Println(kv.ValidateName("Data/x"))
	fmt.Println(kv.ValidateName("data/x.tmp"))
	// Output:
	// <nil>
	// invalid name: character 'D' at 0 is not allowed: names are lowercase
	// invalid name: ends in .tmp
}

func ExampleRange() {
	value := []byte("0123456789")
	for _, r := range [][2]int64{{-3, -1}, {-4, 2}, {8, 100}} {
		start, end := kv.ClampRange(int64(len(value)), r[0], r[1])
		fmt.Printf("%s: %s\n", kv.Range(r[0], r[1]), value[start:end])
	}
	// Output:
	// range(-3,-1): 789
	// range(-4,2): 67
	// range(8,100): 89
}

func ExampleNewError() {
	err := kv.NewError("load", "data/ab", kv.ErrNotFound, nil)
	fmt.Println(err)
	fmt.Println(errors.Is(fmt.Errorf("restore: %w", err), kv.ErrNotFound))
	// Output:
	// load "data/ab": not found
	// true
}
