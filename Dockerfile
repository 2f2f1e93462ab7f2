# Baton runs from source with tsx (no build step), as `npm start` does.
FROM node:22-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
ENV NODE_ENV=production BATON_HOST=0.0.0.0
EXPOSE 8080 8081
USER node
CMD ["node", "--import", "tsx", "src/cli/baton.ts", "serve"]
