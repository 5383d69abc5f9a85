"""What qstar learns from the user's own project before it searches (issue 45)."""
