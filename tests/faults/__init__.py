"""Faults an operator or an attacker meets: each test here failed on the code before it was fixed."""
