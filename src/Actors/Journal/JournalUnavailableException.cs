namespace Dpr.Actors.Journal;

/// <summary>
/// The journal's database cannot be used; <see cref="Exception.Message"/> is the cause in one line, as an
/// operator would look it up (<c>28P01 password authentication failed for user "dpr"</c>), without a stack.
/// </summary>
public sealed class JournalUnavailableException(string cause, Exception inner) : Exception(cause, inner);
