using Serilog.Core;
using Serilog.Events;

namespace Motor.Api.Operations;

/// <summary>
/// The served model version as the log enricher sees it. A separate holder, not the model host, because the host itself
/// logs: the logger cannot depend on it.
/// </summary>
public sealed class ServedModelVersion
{
    private volatile string _value = "none";

    public string Value
    {
        get => _value;
        set => _value = value;
    }
}

/// <summary>Adds ModelVersion (the served model, or "none" before the first load) to every log event.</summary>
public sealed class ModelVersionEnricher(ServedModelVersion version) : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
        => logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("ModelVersion", version.Value));
}
