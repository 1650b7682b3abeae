namespace Dpr.Actors.Journal;

public enum JournalProvider
{
    /// <summary>Embedded default: one file under <c>./data</c>.</summary>
    Sqlite,

    /// <summary>Real deployments and several boards.</summary>
    PostgreSql,
}
