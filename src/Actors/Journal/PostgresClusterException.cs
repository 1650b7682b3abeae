namespace Dpr.Actors.Journal;

/// <summary>A temporary PostgreSQL cluster could not be created, started or stopped.</summary>
public sealed class PostgresClusterException(string message) : Exception(message);
