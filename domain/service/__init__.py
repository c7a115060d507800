"""The service layer: the journey application, its configuration and its storage."""
