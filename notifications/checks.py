"""System checks for the framework's configuration."""
