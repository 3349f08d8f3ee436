"""Reliability and security tests of sqlgate (issue 8): faults, bad input, hostile output."""
