"""Receiver of Anymail's tracking signal: provider events about sent mail."""
