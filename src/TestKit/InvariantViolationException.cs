namespace Dpr.TestKit;

/// <summary>An invariant of the node did not hold after a scenario; the message lists each violation.</summary>
public sealed class InvariantViolationException(string message) : Exception(message);
