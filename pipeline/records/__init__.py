"""The domain records that the stages hand on and the store keeps: a year's answers, evaluations and
submissions (`year`), the committee's opinions, good practices and responses (`opinions`)."""
