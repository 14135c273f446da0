using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using Motor.Api.Operations;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace Motor.Api.OpenApi;

/// <summary>An example for an endpoint's request body (StatusCode null) or for one of its responses.</summary>
public sealed record ApiExampleMetadata(int? StatusCode, object Example);

public static class OpenApiSetup
{
    public const string DocumentName = "v1";

    public static RouteHandlerBuilder WithRequestExample(this RouteHandlerBuilder builder, object example)
        => builder.WithMetadata(new ApiExampleMetadata(null, example));

    public static RouteHandlerBuilder WithResponseExample(this RouteHandlerBuilder builder, int statusCode, object example)
        => builder.WithMetadata(new ApiExampleMetadata(statusCode, example));

    public static IServiceCollection AddMotorOpenApi(this IServiceCollection services)
    {
        services.AddEndpointsApiExplorer();
        services.AddSwaggerGen(options =>
        {
            options.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "Motor recommendation API",
                Version = DocumentName,
                Description = "ID-free multimodal recommendations (MOTOR): top-k for users and items, cold-start item ingestion, model operations. Errors are RFC 9457 problem details. Write and admin routes need the X-Api-Key header.",
            });
            options.AddSecurityDefinition(ApiKeyAuthenticationHandler.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.HeaderName,
                Description = "One of the keys configured in Motor:ApiKeys.",
            });
            options.OperationFilter<ExampleOperationFilter>();
        });
        return services;
    }

    /// <summary>Puts the endpoint's examples into the document and marks routes that need an API key.</summary>
    private sealed class ExampleOperationFilter(Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> jsonOptions) : IOperationFilter
    {
        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            IList<object> metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            JsonSerializerOptions serializerOptions = jsonOptions.Value.SerializerOptions;
            foreach (ApiExampleMetadata example in metadata.OfType<ApiExampleMetadata>())
            {
                JsonNode? node = JsonSerializer.SerializeToNode(example.Example, example.Example.GetType(), serializerOptions);
                if (example.StatusCode is null)
                {
                    if (operation.RequestBody?.Content is { } content)
                    {
                        foreach (OpenApiMediaType mediaType in content.Values.OfType<OpenApiMediaType>())
                        {
                            mediaType.Example = node?.DeepClone();
                        }
                    }

                    continue;
                }

                string status = example.StatusCode.Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                operation.Responses ??= [];
                if (!operation.Responses.TryGetValue(status, out IOpenApiResponse? response))
                {
                    response = new OpenApiResponse { Description = ReasonPhrases.GetReasonPhrase(example.StatusCode.Value) };
                    operation.Responses[status] = response;
                }

                if (response is not OpenApiResponse concrete)
                {
                    continue;
                }

                concrete.Content ??= new Dictionary<string, IOpenApiMediaType>();
                string contentType = example.StatusCode >= 400 ? "application/problem+json" : "application/json";
                if (concrete.Content.Count == 0)
                {
                    concrete.Content[contentType] = new OpenApiMediaType();
                }

                foreach (OpenApiMediaType mediaType in concrete.Content.Values.OfType<OpenApiMediaType>())
                {
                    mediaType.Example = node?.DeepClone();
                }
            }

            if (metadata.OfType<IAuthorizeData>().Any())
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, context.Document)] = [],
                });
            }
        }
    }
}
