"""Forecasts with their uncertainty, chosen by backtest, stored as data."""
