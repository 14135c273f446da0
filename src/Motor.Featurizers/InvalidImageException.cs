namespace Motor.Featurizers;

/// <summary>An image that is refused: its message is written for the caller who sent it (no paths, no type names).</summary>
public sealed class InvalidImageException(string message) : Exception(message);
